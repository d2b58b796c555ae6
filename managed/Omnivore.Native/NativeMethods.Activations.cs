// NativeMethods.Activations: bindings to native/include/omnivore_activations.h (the
// generic unary activation kernels and PReLU).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    public static partial int om_unary_fwd(int op, float* y, float* x, long count, float a, float b, float c);
    [LibraryImport(Lib)]
    public static partial int om_unary_bwd(int op, float* dx, float* dy, float* x, float* y, long count,
        float a, float b, float c);
    [LibraryImport(Lib)]
    public static partial int om_prelu_fwd(float* top, float* bottom, float* slope, int n, int c, long inner,
        int channelShared);
    [LibraryImport(Lib)]
    public static partial int om_prelu_bwd(float* bottomDiff, float* slopeDiff, float* topDiff, float* bottom,
        float* slope, int n, int c, long inner, int channelShared);
}
