// NativeMethods: source-generated P/Invoke bindings ([LibraryImport]) to the flat C ABI
// of libomnivore_native (native/include/omnivore.h), one entry per export. Every call's
// status goes through Check, which turns a failure into an exception carrying the
// library's thread-local error message. The type's initializer applies ThreadingDefaults,
// so the environment OpenMP and OpenBLAS read at load (OPENBLAS_CORETYPE among it) is set
// before the first call on every path: `omnivore probe` calls in without a CPU device.
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    private const string Lib = "omnivore_native";
    public const int AbiVersion = 4;  // 2: om_conv_packed_forward_relu; 3: om_maxpool_bwd_relu; 4: its top

    static NativeMethods() => ThreadingDefaults.Apply();

    [LibraryImport(Lib)] public static partial byte* om_last_error();
    [LibraryImport(Lib)] public static partial int om_abi_version();
    [LibraryImport(Lib)] public static partial int om_set_num_threads(int n);
    [LibraryImport(Lib)] public static partial int om_get_num_threads();
    [LibraryImport(Lib)] public static partial int om_blas_info(byte* buf, int len);

    [LibraryImport(Lib)]
    public static partial int om_sgemm(int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib)]
    public static partial int om_im2col_batch(float* col, float* data, int n, int c, int h, int w,
        int kh, int kw, int ph, int pw, int sh, int sw, int dh, int dw);
    [LibraryImport(Lib)]
    public static partial int om_col2im_batch(float* data, float* col, int n, int c, int h, int w,
        int kh, int kw, int ph, int pw, int sh, int sw, int dh, int dw);
    [LibraryImport(Lib)] public static partial int om_nchw_to_cnhw(float* dst, float* src, int n, int c, long hw);
    [LibraryImport(Lib)] public static partial int om_cnhw_to_nchw(float* dst, float* src, float* bias, int n, int c, long hw);
    [LibraryImport(Lib)] public static partial int om_row_sums_acc(float* sums, float* m, int rows, long cols);

    [LibraryImport(Lib)]
    public static partial int om_maxpool_fwd(float* top, int* mask, float* bottom, int n, int c, int h, int w,
        int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw);
    [LibraryImport(Lib)]
    public static partial int om_maxpool_bwd(float* bottomDiff, float* topDiff, int* mask, int n, int c, int h, int w, int oh, int ow);
    [LibraryImport(Lib)]
    public static partial int om_maxpool_bwd_relu(float* bottomDiff, float* topDiff, int* mask, float* top, int n, int c, int h, int w, int oh, int ow);
    [LibraryImport(Lib)]
    public static partial int om_avepool_fwd(float* top, float* bottom, int n, int c, int h, int w,
        int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw);
    [LibraryImport(Lib)]
    public static partial int om_avepool_bwd(float* bottomDiff, float* topDiff, int n, int c, int h, int w,
        int oh, int ow, int kh, int kw, int sh, int sw, int ph, int pw);

    [LibraryImport(Lib)] public static partial int om_relu_fwd(float* top, float* bottom, long count, float slope);
    [LibraryImport(Lib)] public static partial int om_relu_bwd(float* bottomDiff, float* topDiff, float* bottom, long count, float slope);
    [LibraryImport(Lib)] public static partial int om_set(float* y, float value, long count);
    [LibraryImport(Lib)] public static partial int om_copy(float* y, float* x, long count);
    [LibraryImport(Lib)] public static partial int om_axpby(float* y, float alpha, float* x, float beta, long count);
    [LibraryImport(Lib)] public static partial int om_scale(float* y, float alpha, long count);
    [LibraryImport(Lib)] public static partial int om_mul(float* y, float* a, float* b, long count);
    [LibraryImport(Lib)] public static partial int om_dot(double* result, float* x, float* y, long count);
    [LibraryImport(Lib)] public static partial int om_asum(double* result, float* x, long count);
    [LibraryImport(Lib)] public static partial int om_sgd_update(float* w, float* g, float* h, float momentum, float lr, long count);

    [LibraryImport(Lib)] public static partial int om_softmax_fwd(float* top, float* bottom, int outer, int channels, int inner);
    [LibraryImport(Lib)] public static partial int om_softmax_bwd(float* bottomDiff, float* topDiff, float* top, int outer, int channels, int inner);

    [LibraryImport(Lib)]
    public static partial int om_lrn_across_fwd(float* top, float* scale, float* bottom, int n, int c, int h, int w,
        int size, float alpha, float beta, float k);
    [LibraryImport(Lib)]
    public static partial int om_lrn_across_bwd(float* bottomDiff, float* topDiff, float* top, float* scale, float* bottom,
        int n, int c, int h, int w, int size, float alpha, float beta);

    /// <summary>Throws with the library's message when a call failed.</summary>
    public static void Check(int status, string function)
    {
        if (status == 0) return;
        var message = Marshal.PtrToStringUTF8((nint)om_last_error()) ?? "";
        throw new NativeException($"{function} failed (status {status}): {message}");
    }
}

/// <summary>A failure reported by the native kernel library.</summary>
public sealed class NativeException(string message) : Exception(message);
