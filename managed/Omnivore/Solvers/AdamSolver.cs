// AdamSolver: Caffe's "Adam" solver (Kingma & Ba), beta1 = momentum, beta2 = momentum2,
// epsilon = delta: m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g²;
// update = local_rate * correction * m / (sqrt(v) + delta), with
// correction = sqrt(1 - beta2^t) / (1 - beta1^t) and t = iter + 1; w -= update.
// .solverstate history: 2N blobs for N learnable parameters: the N first moments m, then
// the N second moments v (Caffe's history_ after AdamPreSolve).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class AdamSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    : SgdFamilySolver(param, trainNet, testNets, historySlots: 2)
{
    public override string Type => "Adam";

    /// <summary>The bias correction at iteration iter, computed in double as Caffe does.</summary>
    public static float Correction(float beta1, float beta2, int iter)
    {
        int t = iter + 1;
        return (float)(Math.Sqrt(1 - Math.Pow(beta2, t)) / (1 - Math.Pow(beta1, t)));
    }

    protected override void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate)
    {
        float beta1 = Param.Momentum, beta2 = Param.Momentum2;
        float step = LocalRate(rate, e) * Correction(beta1, beta2, Iter);
        Device.AdamUpdate(w, g, HistoryOf(e, 0), HistoryOf(e, 1), beta1, beta2, Param.Delta, step);
    }
}
