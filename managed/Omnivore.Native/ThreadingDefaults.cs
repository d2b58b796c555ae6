// ThreadingDefaults: environment the native library's OpenMP runtime reads once, when it
// loads. By default libgomp's idle threads spin for a while (300,000 spins, milliseconds)
// after each parallel loop; next to OpenBLAS's own threads that steals the cores the next
// sgemm needs (LeNet b64 fwd+bwd: 42 ms spinning vs 27 ms passive on 2 cores). Sleeping at
// once (OMP_WAIT_POLICY=passive) has its own price: waking a sleeping thread took 60-90 us
// per parallel loop on the 2-core VM (a loop, a 10-200 us gap, the next loop), where a
// short spin (GOMP_SPINCOUNT=3000, about 30 us by libgomp's reckoning) took 4-12 us for
// gaps up to 50 us. LeNet b64 runs a parallel loop every 0.5 ms or so: medians of 6
// alternating runs 10.0 ms with the short spin against 11.4 passive (passive slowest in
// 4 of 6); CaffeNet b64 (a loop every 25 ms) unchanged within noise (6 pairs). So, unless
// the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT, GOMP_SPINCOUNT=3000 is set in the process
// environment before the library is first called. Likewise OPENBLAS_THREAD_TIMEOUT=4
// (OpenBLAS's idle threads sleep after 2^4 cycles instead of spinning): LeNet b64 medians
// of 5 alternating runs, 15.8 ms without, 12.5 ms with; CaffeNet b64 unchanged.
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

    /// <summary>libgomp's spins before an idle thread sleeps (GOMP_SPINCOUNT; libgomp reckons about 100 per
    /// microsecond): enough to bridge the gap between two parallel loops of one layer or two small layers.</summary>
    public const int SpinCount = 3000;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    internal static void Apply()
    {
        if (Interlocked.Exchange(ref _applied, 1) == 1 || !OperatingSystem.IsLinux()) return;
        // overwrite = 0: a value the user exported wins. A user's OMP_WAIT_POLICY decides the spin alone.
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
            setenv("GOMP_SPINCOUNT", SpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture), 0);
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
