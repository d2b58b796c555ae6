// NativeMethods.Threads: bindings to native/include/omnivore_threads.h (per-thread kernel
// thread counts and OpenBLAS's process-wide count, for the scheduler's CPU replicas).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static partial class NativeMethods
{
    [LibraryImport(Lib)] public static partial int om_set_thread_threads(int n);
    [LibraryImport(Lib)] public static partial int om_get_blas_threads();
    [LibraryImport(Lib)] public static partial int om_set_blas_threads(int n);
}
