// ThreadingDefaults: environment the native library's OpenMP runtime reads once, when it
// loads. By default libgomp's idle threads spin for a while after each parallel loop;
// next to OpenBLAS's own threads that steals the cores the next sgemm needs (LeNet b64
// fwd+bwd: 42 ms spinning vs 27 ms passive on 2 cores). So, unless the user chose
// otherwise, OMP_WAIT_POLICY=passive is set in the process environment before the
// library is first called. Likewise OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's idle threads
// sleep after 2^4 cycles instead of spinning): LeNet b64 medians of 5 alternating runs,
// 15.8 ms without, 12.5 ms with; CaffeNet b64 unchanged.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static partial class ThreadingDefaults
{
    private static int _applied;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    public static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1 || !OperatingSystem.IsLinux()) return;
        // overwrite = 0: a value the user exported wins.
        setenv("OMP_WAIT_POLICY", "passive", 0);
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    }
}
