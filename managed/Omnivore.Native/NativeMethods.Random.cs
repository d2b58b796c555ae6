// NativeMethods.Random: bindings to the counter-based random fills of
// native/include/omnivore_random.h.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] public static partial int om_rng_uniform(float* y, long count, float lo, float hi, ulong seed);
    [LibraryImport(Lib)] public static partial int om_rng_gaussian(float* y, long count, float mean, float std, ulong seed);
    [LibraryImport(Lib)] public static partial int om_rng_bernoulli(float* y, long count, float p, float value, ulong seed);
}
