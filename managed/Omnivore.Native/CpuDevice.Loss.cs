// CpuDevice.Loss: SoftmaxWithLoss's loss and gradient on the host, one native call each.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public double SoftmaxLossForward(DeviceBuffer prob, DeviceBuffer labels, int outer, int channels, int inner,
                                     int? ignoreLabel, out long valid, out long badAt)
    {
        CheckLoss(prob, labels, outer, channels, inner);
        double loss;
        long v, bad;
        Check(om_softmax_loss_fwd(&loss, &v, &bad, F(prob), F(labels), outer, channels, inner,
            ignoreLabel.HasValue ? 1 : 0, ignoreLabel ?? 0), "om_softmax_loss_fwd");
        valid = v;
        badAt = bad;
        return loss;
    }

    public void SoftmaxLossBackward(DeviceBuffer bottomDiff, DeviceBuffer prob, DeviceBuffer labels, int outer, int channels,
                                    int inner, int? ignoreLabel, float scale)
    {
        CheckLoss(prob, labels, outer, channels, inner);
        SameLength(bottomDiff, prob);
        Check(om_softmax_loss_bwd(F(bottomDiff), F(prob), F(labels), outer, channels, inner,
            ignoreLabel.HasValue ? 1 : 0, ignoreLabel ?? 0, scale), "om_softmax_loss_bwd");
    }

    private static void CheckLoss(DeviceBuffer prob, DeviceBuffer labels, int outer, int channels, int inner)
    {
        if (prob.Length < (long)outer * channels * inner || labels.Length < (long)outer * inner)
            throw new ArgumentException(
                $"softmax loss of ({outer}, {channels}, {inner}) needs {(long)outer * channels * inner} probabilities " +
                $"and {(long)outer * inner} labels, got {prob.Length} and {labels.Length}");
    }
}
