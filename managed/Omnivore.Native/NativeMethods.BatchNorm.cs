// NativeMethods.BatchNorm: bindings to omnivore_batchnorm.h (BatchNorm statistics).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    public static partial int om_batchnorm_train_stats(float* invStd, float* meanSum, float* varSum, float* factor,
        float* negMean, float* var, long channels, float maf, float correction, float eps);
    [LibraryImport(Lib)]
    public static partial int om_batchnorm_global_stats(float* negMean, float* invStd, float* meanSum, float* varSum,
        float* factor, long channels, float eps);
}
