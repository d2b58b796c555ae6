// CudaDevice.Neurons: IDevice.Activations, IDevice.Eltwise and IDevice.Loss on the GPU
// (native/cuda/activations.cu, eltwise.cu, loss.cu, with PReLU's slope gradient and the
// loss sum through the reductions of reduce.cu/loss.cu). The loss forward is the one call
// here that waits for the GPU: its scalar (and the bad-label position) come to the host.
// Unlike the CPU, SoftmaxLossBackward does not report bad labels (the forward does).
using Omnivore.Core;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    public void UnaryForward(UnaryOp op, DeviceBuffer y, DeviceBuffer x, float a = 0, float b = 0, float c = 0)
    {
        if (!x.IsNull) SameLength(y, x);
        else if (!(op == UnaryOp.Power && a * b == 0f)) throw new ArgumentException($"{op} forward needs x");
        if (op == UnaryOp.Log && c == 0f) throw new ArgumentException("LOG needs ln(base) != 0 (parameter c)");
        Launch("omk_unary_fwd", y.Length, [A((int)op), A(y), A(x), A(y.Length), A(a), A(b), A(c)]);
    }

    public void UnaryBackward(UnaryOp op, DeviceBuffer dx, DeviceBuffer dy, DeviceBuffer x, DeviceBuffer y,
                              float a = 0, float b = 0, float c = 0)
    {
        if (!dy.IsNull) SameLength(dx, dy);
        if (!x.IsNull) SameLength(dx, x);
        if (!y.IsNull) SameLength(dx, y);
        if (op == UnaryOp.Log && c == 0f) throw new ArgumentException("LOG needs ln(base) != 0 (parameter c)");
        Launch("omk_unary_bwd", dx.Length, [A((int)op), A(dx), A(dy), A(x), A(y), A(dx.Length), A(a), A(b), A(c)]);
    }

    private static void CheckPRelu(long count, DeviceBuffer slope, int channels, bool shared, params DeviceBuffer[] data)
    {
        foreach (var d in data)
            if (d.Length != count) throw new ArgumentException($"PReLU buffer of {d.Length} floats, expected {count}");
        long slopes = shared ? 1 : channels;
        if (slope.Length != slopes) throw new ArgumentException($"PReLU slope buffer of {slope.Length} floats, expected {slopes}");
    }

    public void PReluForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer slope, int n, int channels, long inner,
                             bool channelShared)
    {
        long count = (long)n * channels * inner;
        CheckPRelu(count, slope, channels, channelShared, top, bottom);
        Launch("omk_prelu_fwd", count, [A(top), A(bottom), A(slope), A((long)n), A((long)channels), A(inner), A(channelShared ? 1 : 0)]);
    }

    public void PReluBackward(DeviceBuffer bottomDiff, DeviceBuffer slopeDiff, DeviceBuffer topDiff, DeviceBuffer bottom,
                              DeviceBuffer slope, int n, int channels, long inner, bool channelShared)
    {
        long count = (long)n * channels * inner;
        CheckPRelu(count, slope, channels, channelShared, topDiff, bottom);
        if (!bottomDiff.IsNull) CheckPRelu(count, slope, channels, channelShared, bottomDiff);
        if (!slopeDiff.IsNull) SameLength(slopeDiff, slope);
        // The slope gradient first: bottomDiff may be topDiff.
        if (!slopeDiff.IsNull)
            ChannelReduce(slopeDiff, bottom, topDiff, n, channels, inner, TermPRelu, channelShared ? FinishAddAll : FinishAdd);
        if (!bottomDiff.IsNull)
            Launch("omk_prelu_bwd", count, [A(bottomDiff), A(topDiff), A(bottom), A(slope), A((long)n), A((long)channels), A(inner),
                A(channelShared ? 1 : 0)]);
    }

    public void EltwiseMaxForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer x, int index)
    {
        NeedElements(top, x.Length, "EltwiseMaxForward top");
        NeedElements(mask, x.Length, "EltwiseMaxForward mask");
        if (index < 0) throw new ArgumentException($"index must be >= 0 (got {index})");
        Launch("omk_eltwise_max_fwd", x.Length, [A(top), A(mask), A(x), A(x.Length), A(index)]);
    }

    public void EltwiseMaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int index)
    {
        NeedElements(topDiff, bottomDiff.Length, "EltwiseMaxBackward topDiff");
        NeedElements(mask, bottomDiff.Length, "EltwiseMaxBackward mask");
        Launch("omk_eltwise_max_bwd", bottomDiff.Length, [A(bottomDiff), A(topDiff), A(mask), A(bottomDiff.Length), A(index)]);
    }

    public void EltwiseDiv(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b)
    {
        SameLength(y, a);
        SameLength(y, b);
        Launch("omk_eltwise_div", y.Length, [A(y), A(a), A(b), A(y.Length)]);
    }

    private static void CheckLoss(DeviceBuffer prob, DeviceBuffer labels, int outer, int channels, int inner)
    {
        if (channels < 1) throw new ArgumentException($"softmax loss needs channels >= 1 (got {channels})");
        if (prob.Length < (long)outer * channels * inner || labels.Length < (long)outer * inner)
            throw new ArgumentException(
                $"softmax loss of ({outer}, {channels}, {inner}) needs {(long)outer * channels * inner} probabilities " +
                $"and {(long)outer * inner} labels, got {prob.Length} and {labels.Length}");
    }

    public double SoftmaxLossForward(DeviceBuffer prob, DeviceBuffer labels, int outer, int channels, int inner,
                                     int? ignoreLabel, out long valid, out long badAt)
    {
        CheckLoss(prob, labels, outer, channels, inner);
        long positions = (long)outer * inner;
        valid = 0;
        badAt = -1;
        if (positions == 0) return 0.0;
        long slots = Math.Min(1024, positions);
        ulong part = Scratch(3 * slots * sizeof(double));
        Launch("omk_softmax_loss_partials", slots, [A(part), A(prob), A(labels), A((long)outer), A((long)channels), A((long)inner),
            A(ignoreLabel.HasValue ? 1 : 0), A(ignoreLabel ?? 0), A(slots)]);
        var host = new double[3 * slots];
        fixed (double* h = host) DownloadBytes((byte*)h, part, 3 * slots * sizeof(double));
        double loss = 0, count = 0, bad = -1;
        for (long s = 0; s < slots; s++)
        {
            loss += host[s];
            count += host[slots + s];
            double b = host[2 * slots + s];
            if (b >= 0 && (bad < 0 || b < bad)) bad = b;
        }
        valid = (long)count;
        badAt = (long)bad;
        return loss;
    }

    public void SoftmaxLossBackward(DeviceBuffer bottomDiff, DeviceBuffer prob, DeviceBuffer labels, int outer, int channels,
                                    int inner, int? ignoreLabel, float scale)
    {
        CheckLoss(prob, labels, outer, channels, inner);
        SameLength(bottomDiff, prob);
        Launch("omk_softmax_loss_bwd", (long)outer * channels * inner, [A(bottomDiff), A(prob), A(labels), A((long)outer),
            A((long)channels), A((long)inner), A(ignoreLabel.HasValue ? 1 : 0), A(ignoreLabel ?? 0), A(scale)]);
    }
}
