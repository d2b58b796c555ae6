// NativeMethods.Peak: bindings to the machine peak probe of native/include/omnivore_peak.h.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] public static partial int om_peak_best_isa();
    [LibraryImport(Lib)]
    public static partial int om_peak_fma(int isa, int threads, long iters, double* flops, double* seconds, double* checksum, int* isaUsed);
    [LibraryImport(Lib)]
    public static partial int om_peak_sgemm(int threads, int m, int n, int k, int reps, double* medianSeconds, double* flops);
}
