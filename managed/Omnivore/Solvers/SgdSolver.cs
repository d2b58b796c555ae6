// SgdSolver: Caffe's "SGD" solver, momentum SGD: h = momentum * h + local_rate * g;
// w -= h (g already clipped, normalised and regularised by SgdFamilySolver; L2 decay is
// fused into the update kernel, with the same float steps, and so is the clear of the
// gradients for the next iteration unless snapshot_diff is set).
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

    protected override bool ComputeUpdateWithL2(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, float decay, double rate,
                                                bool clear)
    {
        Device.SgdUpdateL2(w, g, HistoryOf(e), decay, Param.Momentum, LocalRate(rate, e), clear);
        return true;
    }

    protected override bool ClearsInUpdate => !Param.SnapshotDiff;
}
