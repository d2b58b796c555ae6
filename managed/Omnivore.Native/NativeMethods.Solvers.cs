// NativeMethods.Solvers: bindings to the solver update kernels of
// native/include/omnivore_solvers.h.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] public static partial int om_sign_axpy(float* y, float alpha, float* x, long count);
    [LibraryImport(Lib)]
    public static partial int om_sgd_update_l2(float* w, float* g, float* h, float decay, float momentum, float lr, long count);
    [LibraryImport(Lib)]
    public static partial int om_sgd_update_l2_clear(float* w, float* g, float* h, float decay, float momentum, float lr, long count);
    [LibraryImport(Lib)] public static partial int om_nesterov_update(float* w, float* g, float* h, float momentum, float lr, long count);
    [LibraryImport(Lib)] public static partial int om_adagrad_update(float* w, float* g, float* h, float delta, float lr, long count);
    [LibraryImport(Lib)]
    public static partial int om_rmsprop_update(float* w, float* g, float* h, float rmsDecay, float delta, float lr, long count);
    [LibraryImport(Lib)]
    public static partial int om_adadelta_update(float* w, float* g, float* h, float* u, float momentum, float delta, float lr, long count);
    [LibraryImport(Lib)]
    public static partial int om_adam_update(float* w, float* g, float* m, float* v, float beta1, float beta2, float delta, float step, long count);
}
