// CpuDevice: IDevice on the host's cores. Memory is 64-byte aligned host memory; every
// kernel is one call into libomnivore_native (OpenBLAS sgemm, batched lowering, pooling,
// activations), whose failures come back as exceptions with the library's message.
using System.Runtime.InteropServices;
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice : IDevice
{
    private long _allocated;

    private CpuDevice(int threads)
    {
        if (threads > 0) Check(om_set_num_threads(threads), "om_set_num_threads");
        Threads = om_get_num_threads();
        var buf = stackalloc byte[256];
        Check(om_blas_info(buf, 256), "om_blas_info");
        BlasInfo = Marshal.PtrToStringUTF8((nint)buf) ?? "";
        Name = $"CPU ({BlasInfo}, {Threads} threads)";
    }

    /// <summary>Opens the CPU device; threads &lt;= 0 keeps the library's default.</summary>
    public static CpuDevice Create(int threads = 0)
    {
        int abi;
        try
        {
            // (ThreadingDefaults are applied by NativeMethods' type initializer, before the library loads)
            DenormalDefaults.ApplyToThisThread(); // before the library (and OpenBLAS's threads) load
            abi = om_abi_version();
        }
        catch (DllNotFoundException e)
        {
            throw new OmnivoreException(
                "the native kernel library libomnivore_native.so was not found beside the program or could not load " +
                "(it needs libopenblas0); build it with ./build.sh, which installs cmake, g++ and libopenblas-dev when missing", e);
        }
        if (abi != AbiVersion)
            throw new OmnivoreException($"libomnivore_native has ABI version {abi}, this program needs {AbiVersion}; rebuild with ./build.sh");
        return new CpuDevice(threads);
    }

    public string Name { get; }
    public string BlasInfo { get; }
    public int Threads { get; }
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    /// <summary>Most bytes this device may hold at once (0: no limit beyond the host's); past it
    /// Allocate fails as out of memory would (caps a run on a shared node; tests use it).</summary>
    public long MemoryLimitBytes { get; set; }

    private static float* F(DeviceBuffer b) => (float*)b.Ptr;
    private static int* I(DeviceBuffer b) => (int*)b.Ptr;

    /// <summary>The floats of a CPU buffer, for host-side code and tests.</summary>
    public static Span<float> AsSpan(DeviceBuffer b) => new((void*)b.Ptr, checked((int)b.Length));

    public DeviceBuffer Allocate(long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        nuint bytes = (nuint)Math.Max(count, 1) * sizeof(float);
        void* p;
        try
        {
            if (MemoryLimitBytes > 0 && AllocatedBytes + (long)bytes > MemoryLimitBytes) throw new OutOfMemoryException();
            p = NativeMemory.AlignedAlloc(bytes, 64);
        }
        catch (OutOfMemoryException e)
        {
            throw new DeviceOutOfMemoryException("host", (long)bytes, Interlocked.Read(ref _allocated), e);
        }
        NativeMemory.Clear(p, bytes);
        Interlocked.Add(ref _allocated, (long)bytes);
        return new DeviceBuffer((nint)p, count);
    }

    public void Free(DeviceBuffer buffer)
    {
        if (buffer.Ptr == 0) return;
        NativeMemory.AlignedFree((void*)buffer.Ptr);
        Interlocked.Add(ref _allocated, -Math.Max(buffer.Length, 1) * sizeof(float));
    }

    public void Upload(DeviceBuffer dst, ReadOnlySpan<float> src)
    {
        if (src.Length > dst.Length) throw new ArgumentException($"upload of {src.Length} floats into {dst.Length}");
        if (src.Length < LargeCopy)
        {
            src.CopyTo(AsSpan(dst));
            return;
        }
        // Large uploads (a data batch) use the library's multithreaded copy.
        fixed (float* p = src) Check(om_copy(F(dst), p, src.Length), "om_copy");
    }

    private const int LargeCopy = 1 << 18;

    public void Download(Span<float> dst, DeviceBuffer src)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"download of {src.Length} floats into {dst.Length}");
        AsSpan(src).CopyTo(dst);
    }

    public void UploadInts(DeviceBuffer dst, ReadOnlySpan<int> src) => src.CopyTo(new Span<int>((void*)dst.Ptr, (int)dst.Length));
    public void DownloadInts(Span<int> dst, DeviceBuffer src) => new ReadOnlySpan<int>((void*)src.Ptr, (int)src.Length).CopyTo(dst);

    public void Copy(DeviceBuffer dst, DeviceBuffer src)
    {
        if (dst.Ptr == src.Ptr) return;
        SameLength(dst, src);
        Check(om_copy(F(dst), F(src), src.Length), "om_copy");
    }

    public void Set(DeviceBuffer y, float value) => Check(om_set(F(y), value, y.Length), "om_set");

    public void Axpby(DeviceBuffer y, float alpha, DeviceBuffer x, float beta)
    {
        SameLength(y, x);
        Check(om_axpby(F(y), alpha, F(x), beta, y.Length), "om_axpby");
    }

    public void Scale(DeviceBuffer y, float alpha) => Check(om_scale(F(y), alpha, y.Length), "om_scale");

    public void Mul(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b)
    {
        SameLength(y, a);
        SameLength(y, b);
        Check(om_mul(F(y), F(a), F(b), y.Length), "om_mul");
    }

    public double Dot(DeviceBuffer x, DeviceBuffer y)
    {
        SameLength(x, y);
        double r;
        Check(om_dot(&r, F(x), F(y), x.Length), "om_dot");
        return r;
    }

    public double Asum(DeviceBuffer x)
    {
        double r;
        Check(om_asum(&r, F(x), x.Length), "om_asum");
        return r;
    }

    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
                     DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"gemm {m}x{n}x{k}: buffers of {a.Length}, {b.Length}, {c.Length} are too small");
        int lda = transA ? m : k, ldb = transB ? k : n;
        Check(om_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, F(a), lda, F(b), ldb, beta, F(c), n), "om_sgemm");
    }

    public void Im2ColBatch(DeviceBuffer col, DeviceBuffer data, int n, in WindowGeometry g) =>
        Check(om_im2col_batch(F(col), F(data), n, g.Channels, g.Height, g.Width, g.KernelH, g.KernelW,
            g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW), "om_im2col_batch");

    public void Col2ImBatch(DeviceBuffer data, DeviceBuffer col, int n, in WindowGeometry g) =>
        Check(om_col2im_batch(F(data), F(col), n, g.Channels, g.Height, g.Width, g.KernelH, g.KernelW,
            g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW), "om_col2im_batch");

    public void NchwToCnhw(DeviceBuffer dst, DeviceBuffer src, int n, int c, long hw) =>
        Check(om_nchw_to_cnhw(F(dst), F(src), n, c, hw), "om_nchw_to_cnhw");

    public void CnhwToNchw(DeviceBuffer dst, DeviceBuffer src, DeviceBuffer bias, int n, int c, long hw) =>
        Check(om_cnhw_to_nchw(F(dst), F(src), F(bias), n, c, hw), "om_cnhw_to_nchw");

    public void RowSumsAccumulate(DeviceBuffer sums, DeviceBuffer m, int rows, long cols) =>
        Check(om_row_sums_acc(F(sums), F(m), rows, cols), "om_row_sums_acc");

    public void MaxPoolForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW) =>
        Check(om_maxpool_fwd(F(top), I(mask), F(bottom), n, g.Channels, g.Height, g.Width, outH, outW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW), "om_maxpool_fwd");

    public void MaxPoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int n, in WindowGeometry g, int outH, int outW) =>
        Check(om_maxpool_bwd(F(bottomDiff), F(topDiff), I(mask), n, g.Channels, g.Height, g.Width, outH, outW), "om_maxpool_bwd");

    public void MaxPoolBackwardRelu(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, DeviceBuffer reluBottom, DeviceBuffer pooledTop,
                                    int n, in WindowGeometry g, int outH, int outW) =>
        Check(om_maxpool_bwd_relu(F(bottomDiff), F(topDiff), I(mask), F(pooledTop), n, g.Channels, g.Height, g.Width, outH, outW), "om_maxpool_bwd_relu");

    public void AvePoolForward(DeviceBuffer top, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW) =>
        Check(om_avepool_fwd(F(top), F(bottom), n, g.Channels, g.Height, g.Width, outH, outW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW), "om_avepool_fwd");

    public void AvePoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, int n, in WindowGeometry g, int outH, int outW) =>
        Check(om_avepool_bwd(F(bottomDiff), F(topDiff), n, g.Channels, g.Height, g.Width, outH, outW,
            g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW), "om_avepool_bwd");

    public void ReluForward(DeviceBuffer top, DeviceBuffer bottom, float negativeSlope) =>
        Check(om_relu_fwd(F(top), F(bottom), bottom.Length, negativeSlope), "om_relu_fwd");

    public void ReluBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer bottom, float negativeSlope) =>
        Check(om_relu_bwd(F(bottomDiff), F(topDiff), F(bottom), bottom.Length, negativeSlope), "om_relu_bwd");

    public void SoftmaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int channels, int inner) =>
        Check(om_softmax_fwd(F(top), F(bottom), outer, channels, inner), "om_softmax_fwd");

    public void SoftmaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, int outer, int channels, int inner) =>
        Check(om_softmax_bwd(F(bottomDiff), F(topDiff), F(top), outer, channels, inner), "om_softmax_bwd");

    public void LrnAcrossForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                                 int n, int c, int h, int w, int size, float alpha, float beta, float k) =>
        Check(om_lrn_across_fwd(F(top), F(scale), F(bottom), n, c, h, w, size, alpha, beta, k), "om_lrn_across_fwd");

    public void LrnAcrossBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                                  DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta) =>
        Check(om_lrn_across_bwd(F(bottomDiff), F(topDiff), F(top), F(scale), F(bottom), n, c, h, w, size, alpha, beta),
            "om_lrn_across_bwd");

    public void SgdUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr)
    {
        SameLength(w, g);
        SameLength(w, h);
        Check(om_sgd_update(F(w), F(g), F(h), momentum, lr, w.Length), "om_sgd_update");
    }

    private static void SameLength(DeviceBuffer a, DeviceBuffer b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"buffers differ in length: {a.Length} vs {b.Length}");
    }

    public void Dispose() { }
}
