// DenormalDefaults: floats below 1.2e-38 (denormals) are flushed to zero, as GPUs do. x86
// cores take a slow microcode path for every denormal operand or result: when a saturated
// softmax leaves gradients of 1e-39, a CaffeNet b64 iteration here took 46 s instead of 4.
// The SSE control register (MXCSR: flush-to-zero and denormals-are-zero) is per thread and
// a new thread copies its creator's, so it is set on the calling thread before the native
// library loads (OpenBLAS starts its threads then, and OpenMP's pool is started later from
// threads that have it) and again on every scheduler worker thread. glibc's fegetenv and
// fesetenv carry MXCSR in bytes 28..31 of the x86-64 fenv_t. OMNIVORE_DENORMALS=keep keeps
// IEEE gradual underflow.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

public static unsafe partial class DenormalDefaults
{
    private const uint FlushToZero = 0x8000, DenormalsAreZero = 0x0040;
    private const int FenvBytes = 32, MxcsrOffset = 28;

    [LibraryImport("libm.so.6")] private static partial int fegetenv(byte* env);
    [LibraryImport("libm.so.6")] private static partial int fesetenv(byte* env);

    /// <summary>False when OMNIVORE_DENORMALS=keep asks for IEEE denormals.</summary>
    public static bool Enabled => !string.Equals(Environment.GetEnvironmentVariable("OMNIVORE_DENORMALS"), "keep", StringComparison.OrdinalIgnoreCase);

    private static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>Sets flush-to-zero and denormals-are-zero on the calling thread (when enabled and supported).</summary>
    public static void ApplyToThisThread()
    {
        if (!Enabled || !Supported) return;
        byte* env = stackalloc byte[FenvBytes];
        if (fegetenv(env) != 0) return;
        uint mxcsr = *(uint*)(env + MxcsrOffset);
        if (mxcsr > 0xFFFF) return; // not the layout we know: leave it alone
        uint wanted = mxcsr | FlushToZero | DenormalsAreZero;
        if (wanted == mxcsr) return;
        *(uint*)(env + MxcsrOffset) = wanted;
        fesetenv(env);
    }

    /// <summary>The calling thread's MXCSR (null where it cannot be read), for tests.</summary>
    public static uint? CurrentMxcsr()
    {
        if (!Supported) return null;
        byte* env = stackalloc byte[FenvBytes];
        return fegetenv(env) == 0 ? *(uint*)(env + MxcsrOffset) : null;
    }

    public static bool FlushesHere() => CurrentMxcsr() is uint m && (m & (FlushToZero | DenormalsAreZero)) == (FlushToZero | DenormalsAreZero);
}
