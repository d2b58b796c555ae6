// AdaDeltaSolver: Caffe's "AdaDelta" solver, with `momentum` as the decay of both running
// means (base_lr is usually 1): h = momentum * h + (1 - momentum) * g²;
// d = g * sqrt((u + delta) / (h + delta)); u = momentum * u + (1 - momentum) * d²;
// update = local_rate * d; w -= update.
// .solverstate history: 2N blobs for N learnable parameters: the N squared-gradient means
// h first, then the N squared-update means u (Caffe's history_ after AdaDeltaPreSolve).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class AdaDeltaSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(param, trainNet, testNets, historySlots: 2)
{
    public override string Type => "AdaDelta";

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate) =>
        Device.AdaDeltaUpdate(w, g, HistoryOf(e, 0), HistoryOf(e, 1), Param.Momentum, Param.Delta, LocalRate(rate, e));
}
