// CudaDevice.Blas: the BLAS-like core of IDevice on the GPU: axpby, scale, multiply
// (native/cuda/elementwise.cu) and row-major sgemm through cuBLAS, which is column-major:
// row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T, so the operands and
// m, n swap places and no data moves. GemmGroups runs one sgemm per group as a single
// strided-batched call.
using Omnivore.Core;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    public void Axpby(DeviceBuffer y, float alpha, DeviceBuffer x, float beta)
    {
        SameLength(y, x);
        Launch("omk_axpby", y.Length, [A(y), A(alpha), A(x), A(beta), A(y.Length)]);
    }

    public void Scale(DeviceBuffer y, float alpha) => Launch("omk_scale", y.Length, [A(y), A(alpha), A(y.Length)]);

    public void Mul(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b)
    {
        SameLength(y, a);
        SameLength(y, b);
        Launch("omk_mul", y.Length, [A(y), A(a), A(b), A(y.Length)]);
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
                     DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"gemm {m}x{n}x{k}: buffers of {a.Length}, {b.Length}, {c.Length} are too small");
        GemmGroups(transA, transB, m, n, k, alpha, (ulong)a.Ptr, 0, (ulong)b.Ptr, 0, beta, (ulong)c.Ptr, 0, 1);
    }

    /// <summary>Row-major C_g (m, n) = alpha op(A_g) op(B_g) + beta C_g for g &lt; groups, with
    /// X_g at X + g * strideX floats; leading dimensions are the packed ones.</summary>
    private void GemmGroups(bool transA, bool transB, long m, long n, long k, float alpha, ulong a, long strideA,
                            ulong b, long strideB, float beta, ulong c, long strideC, long groups)
    {
        if (m == 0 || n == 0 || groups == 0) return;
        if (m > int.MaxValue || n > int.MaxValue || k > int.MaxValue)
            throw new ArgumentException($"gemm {m}x{n}x{k} exceeds cuBLAS's 32-bit sizes");
        MakeCurrent();
        int lda = (int)Math.Max(1, transA ? m : k), ldb = (int)Math.Max(1, transB ? k : n), ldc = (int)n;
        int opA = transA ? Cublas.OpT : Cublas.OpN, opB = transB ? Cublas.OpT : Cublas.OpN;
        float al = alpha, be = beta;
        if (groups == 1)
            Cublas.Check(Cublas.cublasSgemm(_blas, opB, opA, (int)n, (int)m, (int)k, &al, b, ldb, a, lda, &be, c, ldc),
                "cublasSgemm");
        else
            Cublas.Check(Cublas.cublasSgemmStridedBatched(_blas, opB, opA, (int)n, (int)m, (int)k, &al, b, ldb, strideB,
                a, lda, strideA, &be, c, ldc, strideC, (int)groups), "cublasSgemmStridedBatched");
    }

    // ---- lowering (native/cuda/lowering.cu) ---------------------------------------------
    public void Im2ColBatch(DeviceBuffer col, DeviceBuffer data, int n, in WindowGeometry g)
    {
        long rows = (long)g.Channels * g.KernelH * g.KernelW, cols = (long)n * g.ConvOutH * g.ConvOutW;
        NeedElements(col, rows * cols, "Im2ColBatch col");
        NeedElements(data, (long)n * g.Channels * g.Height * g.Width, "Im2ColBatch data");
        Im2Col((ulong)col.Ptr, (ulong)data.Ptr, n, g);
    }

    private void Im2Col(ulong col, ulong data, long n, in WindowGeometry g)
    {
        long rows = (long)g.Channels * g.KernelH * g.KernelW, cols = n * g.ConvOutH * g.ConvOutW;
        Launch("omk_im2col_batch", rows * cols, [A(col), A(data), .. Geometry(n, g)]);
    }

    public void Col2ImBatch(DeviceBuffer data, DeviceBuffer col, int n, in WindowGeometry g)
    {
        long rows = (long)g.Channels * g.KernelH * g.KernelW, cols = (long)n * g.ConvOutH * g.ConvOutW;
        NeedElements(col, rows * cols, "Col2ImBatch col");
        NeedElements(data, (long)n * g.Channels * g.Height * g.Width, "Col2ImBatch data");
        Col2Im((ulong)data.Ptr, (ulong)col.Ptr, n, g);
    }

    private void Col2Im(ulong data, ulong col, long n, in WindowGeometry g) =>
        Launch("omk_col2im_batch", n * g.Channels * g.Height * g.Width, [A(data), A(col), .. Geometry(n, g)]);

    /// <summary>n, c, h, w, kh, kw, ph, pw, sh, sw, dh, dw, oh, ow as the lowering kernels take them.</summary>
    private static ulong[] Geometry(long n, in WindowGeometry g) =>
    [
        A(n), A((long)g.Channels), A((long)g.Height), A((long)g.Width), A((long)g.KernelH), A((long)g.KernelW),
        A((long)g.PadH), A((long)g.PadW), A((long)g.StrideH), A((long)g.StrideW), A((long)g.DilationH),
        A((long)g.DilationW), A((long)g.ConvOutH), A((long)g.ConvOutW),
    ];

    public void NchwToCnhw(DeviceBuffer dst, DeviceBuffer src, int n, int c, long hw)
    {
        NeedElements(dst, n * c * hw, "NchwToCnhw dst");
        NeedElements(src, n * c * hw, "NchwToCnhw src");
        Launch("omk_nchw_to_cnhw", n * c * hw, [A(dst), A(src), A((long)n), A((long)c), A(hw)]);
    }

    public void CnhwToNchw(DeviceBuffer dst, DeviceBuffer src, DeviceBuffer bias, int n, int c, long hw)
    {
        NeedElements(dst, n * c * hw, "CnhwToNchw dst");
        NeedElements(src, n * c * hw, "CnhwToNchw src");
        if (!bias.IsNull) NeedElements(bias, c, "CnhwToNchw bias");
        Launch("omk_cnhw_to_nchw", n * c * hw, [A(dst), A(src), A(bias), A((long)n), A((long)c), A(hw)]);
    }
}
