// NesterovSolver: Caffe's "Nesterov" solver, Nesterov's accelerated gradient in Caffe's
// form: h' = momentum * h + local_rate * g; update = (1 + momentum) * h' - momentum * h;
// h = h'; w -= update. .solverstate history: one blob per learnable parameter (h).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class NesterovSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(param, trainNet, testNets, historySlots: 1)
{
    public override string Type => "Nesterov";

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate) =>
        Device.NesterovUpdate(w, g, HistoryOf(e), Param.Momentum, LocalRate(rate, e));
}
