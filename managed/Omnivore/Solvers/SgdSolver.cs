// SgdSolver: Caffe's "SGD" solver, momentum SGD: h = momentum * h + local_rate * g;
// w -= h (g already clipped, normalised and regularised by SgdFamilySolver).
// .solverstate history: one blob per learnable parameter (the momentum h).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class SgdSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(param, trainNet, testNets, historySlots: 1)
{
    public override string Type => "SGD";

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate) =>
        Device.SgdUpdate(w, g, HistoryOf(e), Param.Momentum, LocalRate(rate, e));
}
