// RmsPropSolver: Caffe's "RMSProp" solver: h = rms_decay * h + (1 - rms_decay) * g²;
// update = local_rate * g / (sqrt(h) + delta); w -= update. Caffe refuses a non-zero
// momentum and an rms_decay outside [0, 1). .solverstate history: one blob per learnable
// parameter (the running mean of squared gradients h).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class RmsPropSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(Checked(param), trainNet, testNets, historySlots: 1)
{
    public override string Type => "RMSProp";

    private static SolverParameter Checked(SolverParameter p)
    {
        if (p.Momentum != 0)
            throw new OmnivoreException($"solver: momentum cannot be used with RMSProp (momentum is {Fmt.G(p.Momentum)}; set it to 0 or leave it out)");
        if (!(p.RmsDecay >= 0 && p.RmsDecay < 1))
            throw new OmnivoreException($"solver: rms_decay should lie between 0 and 1 (0 <= rms_decay < 1; got {Fmt.G(p.RmsDecay)})");
        return p;
    }

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate) =>
        Device.RmsPropUpdate(w, g, HistoryOf(e), Param.RmsDecay, Param.Delta, LocalRate(rate, e));
}
