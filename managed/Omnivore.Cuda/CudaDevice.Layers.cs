// CudaDevice.Layers: the layer kernels of the core interface on the GPU: pooling
// (native/cuda/pooling.cu), ReLU (elementwise.cu), softmax (softmax.cu), LRN across and
// within channels (lrn.cu, lrn_within.cu; the backward passes put their intermediate
// terms in scratch first, so bottom diff may alias top diff), and the momentum SGD step.
using Omnivore.Core;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    private static ulong[] Pool(int n, in WindowGeometry g, int outH, int outW) =>
    [
        A((long)n), A((long)g.Channels), A((long)g.Height), A((long)g.Width), A((long)outH), A((long)outW),
        A((long)g.KernelH), A((long)g.KernelW), A((long)g.StrideH), A((long)g.StrideW), A((long)g.PadH), A((long)g.PadW),
    ];

    private static void CheckPool(DeviceBuffer bottomLike, DeviceBuffer topLike, int n, in WindowGeometry g, int outH, int outW)
    {
        long planes = (long)n * g.Channels;
        if (outH < 0 || outW < 0) throw new ArgumentException($"pooled size {outH}x{outW} is negative");
        if (!bottomLike.IsNull) NeedElements(bottomLike, planes * g.Height * g.Width, "pooling bottom");
        if (!topLike.IsNull) NeedElements(topLike, planes * outH * outW, "pooling top");
    }

    public void MaxPoolForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW)
    {
        CheckPool(bottom, top, n, g, outH, outW);
        if (!mask.IsNull) NeedElements(mask, (long)n * g.Channels * outH * outW, "pooling mask");
        Launch("omk_maxpool_fwd", (long)n * g.Channels * outH * outW, [A(top), A(mask), A(bottom), .. Pool(n, g, outH, outW)]);
    }

    public void MaxPoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int n, in WindowGeometry g, int outH, int outW)
    {
        CheckPool(bottomDiff, topDiff, n, g, outH, outW);
        NeedElements(mask, (long)n * g.Channels * outH * outW, "pooling mask");
        Launch("omk_maxpool_bwd", (long)n * g.Channels * g.Height * g.Width,
            [A(bottomDiff), A(topDiff), A(mask), .. Pool(n, g, outH, outW)]);
    }

    public void AvePoolForward(DeviceBuffer top, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW)
    {
        CheckPool(bottom, top, n, g, outH, outW);
        Launch("omk_avepool_fwd", (long)n * g.Channels * outH * outW, [A(top), A(bottom), .. Pool(n, g, outH, outW)]);
    }

    public void AvePoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, int n, in WindowGeometry g, int outH, int outW)
    {
        CheckPool(bottomDiff, topDiff, n, g, outH, outW);
        Launch("omk_avepool_bwd", (long)n * g.Channels * g.Height * g.Width, [A(bottomDiff), A(topDiff), .. Pool(n, g, outH, outW)]);
    }

    public void ReluForward(DeviceBuffer top, DeviceBuffer bottom, float negativeSlope)
    {
        NeedElements(top, bottom.Length, "ReluForward top");
        Launch("omk_relu_fwd", bottom.Length, [A(top), A(bottom), A(bottom.Length), A(negativeSlope)]);
    }

    public void ReluBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer bottom, float negativeSlope)
    {
        NeedElements(bottomDiff, bottom.Length, "ReluBackward bottomDiff");
        NeedElements(topDiff, bottom.Length, "ReluBackward topDiff");
        Launch("omk_relu_bwd", bottom.Length, [A(bottomDiff), A(topDiff), A(bottom), A(bottom.Length), A(negativeSlope)]);
    }

    public void SoftmaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int channels, int inner)
    {
        long count = (long)outer * channels * inner;
        NeedElements(top, count, "SoftmaxForward top");
        NeedElements(bottom, count, "SoftmaxForward bottom");
        if (channels == 0) return;
        Launch("omk_softmax_fwd", (long)outer * inner, [A(top), A(bottom), A((long)outer), A((long)channels), A((long)inner)]);
    }

    public void SoftmaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, int outer, int channels, int inner)
    {
        long count = (long)outer * channels * inner;
        NeedElements(bottomDiff, count, "SoftmaxBackward bottomDiff");
        NeedElements(topDiff, count, "SoftmaxBackward topDiff");
        NeedElements(top, count, "SoftmaxBackward top");
        if (channels == 0) return;
        Launch("omk_softmax_bwd", (long)outer * inner,
            [A(bottomDiff), A(topDiff), A(top), A((long)outer), A((long)channels), A((long)inner)]);
    }

    private static long CheckLrn(int n, int c, int h, int w, int size, params DeviceBuffer[] buffers)
    {
        if (n < 0 || c < 0 || h < 0 || w < 0) throw new ArgumentException($"LRN shape ({n}, {c}, {h}, {w}) is negative");
        if (size < 1 || size % 2 == 0) throw new ArgumentException($"LRN size must be odd and positive (got {size})");
        long count = (long)n * c * h * w;
        foreach (var b in buffers) NeedElements(b, count, "LRN buffer");
        return count;
    }

    public void LrnAcrossForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                                 int n, int c, int h, int w, int size, float alpha, float beta, float k)
    {
        long count = CheckLrn(n, c, h, w, size, top, scale, bottom);
        long hw = (long)h * w;
        Launch("omk_lrn_across_scale", count, [A(scale), A(bottom), A((long)n), A((long)c), A(hw), A((long)size), A(alpha), A(k)]);
        Launch("omk_lrn_across_top", count, [A(top), A(scale), A(bottom), A(count), A(beta)]);
    }

    public void LrnAcrossBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                                  DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta)
    {
        long count = CheckLrn(n, c, h, w, size, bottomDiff, topDiff, top, scale, bottom);
        if (count == 0) return;
        ulong ratio = Scratch(count * 4);
        Launch("omk_lrn_across_ratio", count, [A(ratio), A(topDiff), A(top), A(scale), A(count)]);
        Launch("omk_lrn_across_bwd", count, [A(bottomDiff), A(topDiff), A(ratio), A(scale), A(bottom), A((long)n), A((long)c),
            A((long)h * w), A((long)size), A(alpha), A(beta)]);
    }

    public void LrnWithinForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                                 int n, int c, int h, int w, int size, float alpha, float beta)
    {
        long count = CheckLrn(n, c, h, w, size, top, scale, bottom);
        Launch("omk_lrn_within_scale", count, [A(scale), A(bottom), A((long)n * c), A((long)h), A((long)w), A((long)size), A(alpha)]);
        Launch("omk_lrn_within_top", count, [A(top), A(scale), A(bottom), A(count), A(beta)]);
    }

    public void LrnWithinBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                                  DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta)
    {
        long count = CheckLrn(n, c, h, w, size, bottomDiff, topDiff, top, scale, bottom);
        if (count == 0) return;
        ulong t = Scratch(count * 4);
        Launch("omk_lrn_within_t", count, [A(t), A(topDiff), A(top), A(scale), A(count), A((long)size), A(alpha), A(beta)]);
        Launch("omk_lrn_within_bwd", count, [A(bottomDiff), A(topDiff), A(t), A(scale), A(bottom), A((long)n * c), A((long)h),
            A((long)w), A((long)size), A(beta)]);
    }

    public void SgdUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr)
    {
        SameLength(w, g);
        SameLength(w, h);
        Launch("omk_sgd_update", w.Length, [A(w), A(g), A(h), A(momentum), A(lr), A(w.Length)]);
    }
}
