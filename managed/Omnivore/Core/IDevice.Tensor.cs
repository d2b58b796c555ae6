// IDevice.Tensor: shape-level kernels: strided block copies (Concat, Slice), the
// per-channel broadcast and reduction over an (outer, channels, inner) view of a blob
// (Bias, Scale, BatchNorm), and Caffe's top-k ArgMax.
namespace Omnivore.Core;

/// <summary>What ArgMaxForward writes.</summary>
public enum ArgMaxOutput
{
    /// <summary>top (outer, topK, inner) = indices of the maxima.</summary>
    Indices = 0,
    /// <summary>top (outer, topK, inner) = the maximal values.</summary>
    Values = 1,
    /// <summary>inner must be 1: top (outer, 2, topK) = the indices, then their values.</summary>
    IndicesThenValues = 2,
}

public partial interface IDevice
{
    /// <summary>dst[b*dstStride + j] = src[b*srcStride + j] for b &lt; blocks, j &lt; blockLen.
    /// Destination blocks must not overlap (dstStride &gt;= blockLen), nor dst and src.</summary>
    void CopyBlocks(DeviceBuffer dst, long dstStride, DeviceBuffer src, long srcStride, long blocks, long blockLen);

    /// <summary>y (outer, channels, inner) = x * scale[c] + bias[c]; a null (default) scale
    /// means 1, a null bias 0. y may be x.</summary>
    void ChannelAffine(DeviceBuffer y, DeviceBuffer x, DeviceBuffer scale, DeviceBuffer bias,
                       int outer, int channels, int inner);

    /// <summary>sums[c] = alpha * (sum over o, i of x[o,c,i] * y[o,c,i]) + beta * sums[c];
    /// a null y sums x alone; beta 0 overwrites.</summary>
    void ChannelSums(DeviceBuffer sums, DeviceBuffer x, DeviceBuffer y, int outer, int channels, int inner,
                     float alpha, float beta);

    /// <summary>Caffe's ArgMax over dim values at stride inner of bottom (outer, dim, inner):
    /// the topK largest, descending, ties to the larger index; indices written as floats.</summary>
    void ArgMaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int dim, int inner, int topK, ArgMaxOutput output);
}
