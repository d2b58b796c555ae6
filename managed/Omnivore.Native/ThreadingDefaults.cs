// ThreadingDefaults: environment the native library's OpenMP runtime reads once, when it
// loads. By default libgomp's idle threads spin for a while after each parallel loop;
// next to OpenBLAS's own threads that steals the cores the next sgemm needs (LeNet b64
// fwd+bwd: 42 ms spinning vs 27 ms passive on 2 cores). So, unless the user chose
// otherwise, OMP_WAIT_POLICY=passive is set in the process environment before the
// library is first called.
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
    }
}
