// CpuDevice.Activations: the generic unary activation kernels and PReLU on the host,
// one native call each (native/src/activations.cpp). Buffer lengths are checked here;
// a null buffer is passed as NULL for the inputs an op does not read.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void UnaryForward(UnaryOp op, DeviceBuffer y, DeviceBuffer x, float a = 0, float b = 0, float c = 0)
    {
        if (!x.IsNull) SameLength(y, x);
        Check(om_unary_fwd((int)op, F(y), F(x), y.Length, a, b, c), "om_unary_fwd");
    }

    public void UnaryBackward(UnaryOp op, DeviceBuffer dx, DeviceBuffer dy, DeviceBuffer x, DeviceBuffer y,
                              float a = 0, float b = 0, float c = 0)
    {
        if (!dy.IsNull) SameLength(dx, dy);
        if (!x.IsNull) SameLength(dx, x);
        if (!y.IsNull) SameLength(dx, y);
        Check(om_unary_bwd((int)op, F(dx), F(dy), F(x), F(y), dx.Length, a, b, c), "om_unary_bwd");
    }

    public void PReluForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer slope, int n, int channels, long inner,
                             bool channelShared)
    {
        long count = (long)n * channels * inner;
        CheckPRelu(count, slope, channels, channelShared, top, bottom);
        Check(om_prelu_fwd(F(top), F(bottom), F(slope), n, channels, inner, channelShared ? 1 : 0), "om_prelu_fwd");
    }

    public void PReluBackward(DeviceBuffer bottomDiff, DeviceBuffer slopeDiff, DeviceBuffer topDiff, DeviceBuffer bottom,
                              DeviceBuffer slope, int n, int channels, long inner, bool channelShared)
    {
        long count = (long)n * channels * inner;
        CheckPRelu(count, slope, channels, channelShared, topDiff, bottom);
        if (!bottomDiff.IsNull) CheckPRelu(count, slope, channels, channelShared, bottomDiff);
        if (!slopeDiff.IsNull) SameLength(slopeDiff, slope);
        Check(om_prelu_bwd(F(bottomDiff), F(slopeDiff), F(topDiff), F(bottom), F(slope), n, channels, inner,
                           channelShared ? 1 : 0), "om_prelu_bwd");
    }

    private static void CheckPRelu(long count, DeviceBuffer slope, int channels, bool shared, params DeviceBuffer[] data)
    {
        foreach (var d in data)
            if (d.Length != count) throw new ArgumentException($"PReLU buffer of {d.Length} floats, expected {count}");
        long slopes = shared ? 1 : channels;
        if (slope.Length != slopes) throw new ArgumentException($"PReLU slope buffer of {slope.Length} floats, expected {slopes}");
    }
}
