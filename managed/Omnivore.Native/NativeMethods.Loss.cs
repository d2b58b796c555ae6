// NativeMethods.Loss: bindings to SoftmaxWithLoss's kernels of native/include/omnivore_loss.h.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    public static partial int om_softmax_loss_fwd(double* loss, long* valid, long* badAt, float* prob, float* labels,
        long outer, long channels, long inner, int hasIgnore, int ignoreLabel);
    [LibraryImport(Lib)]
    public static partial int om_softmax_loss_bwd(float* bottomDiff, float* prob, float* labels,
        long outer, long channels, long inner, int hasIgnore, int ignoreLabel, float scale);
}
