// NativeMethods.Eltwise: bindings to omnivore_eltwise.h (Eltwise MAX with mask, division).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] public static partial int om_eltwise_max_fwd(float* top, int* mask, float* x, long count, int index);
    [LibraryImport(Lib)] public static partial int om_eltwise_max_bwd(float* bottomDiff, float* topDiff, int* mask, long count, int index);
    [LibraryImport(Lib)] public static partial int om_eltwise_div(float* y, float* a, float* b, long count);
}
