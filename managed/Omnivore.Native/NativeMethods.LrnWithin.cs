// NativeMethods.LrnWithin: bindings to native/include/omnivore_lrn_within.h.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    public static partial int om_lrn_within_fwd(float* top, float* scale, float* bottom, int n, int c, int h, int w,
        int size, float alpha, float beta);

    [LibraryImport(Lib)]
    public static partial int om_lrn_within_bwd(float* bottomDiff, float* topDiff, float* top, float* scale, float* bottom,
        int n, int c, int h, int w, int size, float alpha, float beta);
}
