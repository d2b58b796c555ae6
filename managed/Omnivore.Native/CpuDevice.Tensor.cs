// CpuDevice.Tensor: the shape-level kernels of IDevice.Tensor (block copies, channel
// broadcast and reduction, ArgMax) as calls into libomnivore_native, with the buffer
// lengths checked here, where they are known.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void CopyBlocks(DeviceBuffer dst, long dstStride, DeviceBuffer src, long srcStride, long blocks, long blockLen)
    {
        if (blocks > 0 && blockLen > 0)
        {
            NeedElements(dst, (blocks - 1) * dstStride + blockLen, "CopyBlocks dst");
            NeedElements(src, (blocks - 1) * srcStride + blockLen, "CopyBlocks src");
        }
        Check(om_copy_blocks(F(dst), dstStride, F(src), srcStride, blocks, blockLen), "om_copy_blocks");
    }

    public void ChannelAffine(DeviceBuffer y, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                              int outer, int channels, int inner)
    {
        long count = (long)outer * channels * inner;
        NeedElements(y, count, "ChannelAffine y");
        NeedElements(x, count, "ChannelAffine x");
        if (!scale.IsNull) NeedElements(scale, channels, "ChannelAffine scale");
        if (!bias.IsNull) NeedElements(bias, channels, "ChannelAffine bias");
        Check(om_channel_affine(F(y), F(x), F(scale), F(bias), outer, channels, inner), "om_channel_affine");
    }

    public void ChannelSums(DeviceBuffer sums, DeviceBuffer x, DeviceBuffer y, int outer, int channels, int inner,
                            float alpha, float beta)
    {
        long count = (long)outer * channels * inner;
        NeedElements(sums, channels, "ChannelSums sums");
        NeedElements(x, count, "ChannelSums x");
        if (!y.IsNull) NeedElements(y, count, "ChannelSums y");
        Check(om_channel_sums(F(sums), F(x), F(y), outer, channels, inner, alpha, beta), "om_channel_sums");
    }

    public void ArgMaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int dim, int inner, int topK, ArgMaxOutput output)
    {
        NeedElements(bottom, (long)outer * dim * inner, "ArgMaxForward bottom");
        NeedElements(top, (long)outer * topK * inner * (output == ArgMaxOutput.IndicesThenValues ? 2 : 1), "ArgMaxForward top");
        Check(om_argmax_fwd(F(top), F(bottom), outer, dim, inner, topK, (int)output), "om_argmax_fwd");
    }

    /// <summary>Throws when a buffer holds fewer than the elements a kernel will touch.</summary>
    private static void NeedElements(DeviceBuffer b, long needed, string what)
    {
        if (b.Length < needed) throw new ArgumentException($"{what}: buffer of {b.Length} elements, {needed} needed");
    }
}
