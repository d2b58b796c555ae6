// CudaDevice.Tensor: IDevice.Tensor (block copies, channel affine, ArgMax; ChannelSums
// is in CudaDevice.Reduce), IDevice.BatchNorm, IDevice.Random and IDevice.Solvers on the
// GPU (native/cuda/tensor.cu, batchnorm.cu, random.cu, solvers.cu). The random fills use
// the CPU library's counter-based generator (same (seed, index) -> value function, the
// same float steps), so for a seed they give the CPU's values to float rounding; the
// tests only rely on the distributions and on closeness to the CPU.
using Omnivore.Core;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    public void CopyBlocks(DeviceBuffer dst, long dstStride, DeviceBuffer src, long srcStride, long blocks, long blockLen)
    {
        if (blocks <= 0 || blockLen <= 0) return;
        if (blocks > 1 && dstStride < blockLen) throw new ArgumentException($"dst stride {dstStride} is below the block length {blockLen}");
        NeedElements(dst, (blocks - 1) * dstStride + blockLen, "CopyBlocks dst");
        NeedElements(src, (blocks - 1) * srcStride + blockLen, "CopyBlocks src");
        Launch("omk_copy_blocks", blocks * blockLen, [A(dst), A(dstStride), A(src), A(srcStride), A(blocks), A(blockLen)]);
    }

    public void ChannelAffine(DeviceBuffer y, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                              int outer, int channels, int inner)
    {
        long count = (long)outer * channels * inner;
        NeedElements(y, count, "ChannelAffine y");
        NeedElements(x, count, "ChannelAffine x");
        if (!scale.IsNull) NeedElements(scale, channels, "ChannelAffine scale");
        if (!bias.IsNull) NeedElements(bias, channels, "ChannelAffine bias");
        if (scale.IsNull && bias.IsNull)
        {
            Copy(y.Slice(0, count), x.Slice(0, count));
            return;
        }
        Launch("omk_channel_affine", count, [A(y), A(x), A(scale), A(bias), A((long)outer), A((long)channels), A((long)inner)]);
    }

    public void ArgMaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int dim, int inner, int topK, ArgMaxOutput output)
    {
        if (dim < 1 || topK < 1 || topK > dim) throw new ArgumentException($"ArgMax needs 1 <= top_k ({topK}) <= dim ({dim})");
        if (output == ArgMaxOutput.IndicesThenValues && inner != 1) throw new ArgumentException("ArgMax indices-then-values needs inner == 1");
        NeedElements(bottom, (long)outer * dim * inner, "ArgMaxForward bottom");
        NeedElements(top, (long)outer * topK * inner * (output == ArgMaxOutput.IndicesThenValues ? 2 : 1), "ArgMaxForward top");
        Launch("omk_argmax_fwd", (long)outer * inner, [A(top), A(bottom), A((long)outer), A((long)dim), A((long)inner), A((long)topK),
            A((int)output)]);
    }

    public void BatchNormTrainStats(DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum, DeviceBuffer factor,
                                    DeviceBuffer negMean, DeviceBuffer var, float maf, float correction, float eps)
    {
        long c = invStd.Length;
        foreach (var (b, what) in new[] { (meanSum, "meanSum"), (varSum, "varSum"), (negMean, "negMean"), (var, "var") })
            NeedElements(b, c, $"BatchNormTrainStats {what}");
        NeedElements(factor, 1, "BatchNormTrainStats factor");
        Launch("omk_batchnorm_train_stats", Math.Max(c, 1), [A(invStd), A(meanSum), A(varSum), A(factor), A(negMean), A(var), A(c),
            A(maf), A(correction), A(eps)]);
    }

    public void BatchNormGlobalStats(DeviceBuffer negMean, DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum,
                                     DeviceBuffer factor, float eps)
    {
        long c = invStd.Length;
        foreach (var (b, what) in new[] { (negMean, "negMean"), (meanSum, "meanSum"), (varSum, "varSum") })
            NeedElements(b, c, $"BatchNormGlobalStats {what}");
        NeedElements(factor, 1, "BatchNormGlobalStats factor");
        Launch("omk_batchnorm_global_stats", c, [A(negMean), A(invStd), A(meanSum), A(varSum), A(factor), A(c), A(eps)]);
    }

    private static void CheckRandomCount(DeviceBuffer y)
    {
        if (y.Length > 1L << 32) throw new ArgumentException($"random fills index 32-bit counters: {y.Length} values are too many");
    }

    public void FillUniform(DeviceBuffer y, float min, float max, ulong seed)
    {
        CheckRandomCount(y);
        if (!(min <= max)) throw new ArgumentException($"uniform fill needs min <= max (got {min}, {max})");
        Launch("omk_rng_uniform", y.Length, [A(y), A(y.Length), A(min), A(max), A(seed)]);
    }

    public void FillGaussian(DeviceBuffer y, float mean, float std, ulong seed)
    {
        CheckRandomCount(y);
        if (!(std >= 0)) throw new ArgumentException($"gaussian fill needs std >= 0 (got {std})");
        Launch("omk_rng_gaussian", (y.Length + 1) / 2, [A(y), A(y.Length), A(mean), A(std), A(seed)]);
    }

    public void FillBernoulli(DeviceBuffer y, float p, float value, ulong seed)
    {
        CheckRandomCount(y);
        if (!(p >= 0 && p <= 1)) throw new ArgumentException($"Bernoulli fill needs p in [0, 1] (got {p})");
        Launch("omk_rng_bernoulli", y.Length, [A(y), A(y.Length), A(p), A(value), A(seed)]);
    }

    private static void SameLengths(DeviceBuffer first, params ReadOnlySpan<DeviceBuffer> others)
    {
        foreach (var b in others) SameLength(first, b);
    }

    public void SignAxpy(DeviceBuffer y, float alpha, DeviceBuffer x)
    {
        SameLength(y, x);
        Launch("omk_sign_axpy", y.Length, [A(y), A(alpha), A(x), A(y.Length)]);
    }

    public void SgdUpdateL2(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float decay, float momentum, float lr,
                            bool clearGradient = false)
    {
        SameLengths(w, g, h);
        Launch("omk_sgd_update_l2", w.Length, [A(w), A(g), A(h), A(decay), A(momentum), A(lr), A(w.Length)]);
        if (clearGradient) Set(g, 0f);
    }

    public void NesterovUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr)
    {
        SameLengths(w, g, h);
        Launch("omk_nesterov_update", w.Length, [A(w), A(g), A(h), A(momentum), A(lr), A(w.Length)]);
    }

    public void AdaGradUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float delta, float lr)
    {
        SameLengths(w, g, h);
        Launch("omk_adagrad_update", w.Length, [A(w), A(g), A(h), A(delta), A(lr), A(w.Length)]);
    }

    public void RmsPropUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float rmsDecay, float delta, float lr)
    {
        SameLengths(w, g, h);
        Launch("omk_rmsprop_update", w.Length, [A(w), A(g), A(h), A(rmsDecay), A(delta), A(lr), A(w.Length)]);
    }

    public void AdaDeltaUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, DeviceBuffer u, float momentum, float delta, float lr)
    {
        SameLengths(w, g, h, u);
        Launch("omk_adadelta_update", w.Length, [A(w), A(g), A(h), A(u), A(momentum), A(delta), A(lr), A(w.Length)]);
    }

    public void AdamUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, float beta1, float beta2, float delta, float step)
    {
        SameLengths(w, g, m, v);
        Launch("omk_adam_update", w.Length, [A(w), A(g), A(m), A(v), A(beta1), A(beta2), A(delta), A(step), A(w.Length)]);
    }
}
