// ThreadingDefaults: environment the native library's OpenMP runtime reads once, when it
// loads. By default libgomp's idle threads spin for a while after each parallel loop;
// next to OpenBLAS's own threads that steals the cores the next sgemm needs (LeNet b64
// fwd+bwd: 42 ms spinning vs 27 ms passive on 2 cores). So, unless the user chose
// otherwise, OMP_WAIT_POLICY=passive is set in the process environment before the
// library is first called. Likewise OPENBLAS_THREAD_TIMEOUT=4 (OpenBLAS's idle threads
// sleep after 2^4 cycles instead of spinning): LeNet b64 medians of 5 alternating runs,
// 15.8 ms without, 12.5 ms with; CaffeNet b64 unchanged.
// And OPENBLAS_CORETYPE: OpenBLAS 0.3.21 (Debian 12's, and the bundle's) picks its kernels
// from the CPU's family and model, and on a CPU it does not know (a virtual machine's
// masked model, a newer part) it falls back to Prescott's SSE3 kernels. On the 16-core
// AVX-512 node of the GPU machine that gave 32.6 GFLOP/s per core instead of about 100,
// so every sgemm there ran about 3x slow. On a CPU with AVX-512 (F, CD, BW, DQ, VL) the
// SkylakeX kernels are right (Cooper Lake, Ice Lake, Sapphire Rapids and Zen 4 use them for
// sgemm too); with AVX2 and FMA, Haswell's. Without either, OpenBLAS's own choice stands.
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Omnivore.Native;

public static partial class ThreadingDefaults
{
    private static int _applied;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    internal static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1 || !OperatingSystem.IsLinux()) return;
        // overwrite = 0: a value the user exported wins.
        setenv("OMP_WAIT_POLICY", "passive", 0);
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
        if (BlasCoreType() is { } core) setenv("OPENBLAS_CORETYPE", core, 0);
    }

    /// <summary>The OpenBLAS kernel family this CPU's instructions call for, or null to leave OpenBLAS's detection alone.</summary>
    public static string? BlasCoreType()
    {
        if (Avx512F.IsSupported && Avx512CD.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported)
            return "SkylakeX";
        if (Avx2.IsSupported && Fma.IsSupported) return "Haswell";
        return null;
    }
}
