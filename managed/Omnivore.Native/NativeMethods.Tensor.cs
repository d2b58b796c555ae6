// NativeMethods.Tensor: bindings to omnivore_tensor.h (block copies, channel broadcast
// and reduction, ArgMax).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    public static partial int om_copy_blocks(float* dst, long dstStride, float* src, long srcStride, long blocks, long blockLen);
    [LibraryImport(Lib)]
    public static partial int om_channel_affine(float* y, float* x, float* scale, float* bias, long outer, long channels, long inner);
    [LibraryImport(Lib)]
    public static partial int om_channel_sums(float* sums, float* x, float* y, long outer, long channels, long inner,
        float alpha, float beta);
    [LibraryImport(Lib)]
    public static partial int om_argmax_fwd(float* top, float* bottom, long outer, long dim, long inner, long topK, int mode);
}
