// AdaGradSolver: Caffe's "AdaGrad" solver: h += g²; update = local_rate * g / (sqrt(h) + delta);
// w -= update. Caffe refuses a non-zero momentum. .solverstate history: one blob per
// learnable parameter (the sum of squared gradients h).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class AdaGradSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(Checked(param), trainNet, testNets, historySlots: 1)
{
    public override string Type => "AdaGrad";

    private static SolverParameter Checked(SolverParameter p)
    {
        if (p.Momentum != 0)
            throw new OmnivoreException($"solver: momentum cannot be used with AdaGrad (momentum is {Fmt.G(p.Momentum)}; set it to 0 or leave it out)");
        return p;
    }

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate) =>
        Device.AdaGradUpdate(w, g, HistoryOf(e), Param.Delta, LocalRate(rate, e));
}
