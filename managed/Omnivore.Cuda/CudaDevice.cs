// CudaDevice: IDevice on one NVIDIA GPU through the CUDA driver API, NVRTC and cuBLAS.
// It holds the GPU's primary context (made current on whichever thread calls), one
// stream on which every kernel, copy and cuBLAS call is queued in order, the kernels
// compiled at start-up from native/cuda/*.cu (CudaModule, cached on disk), a cuBLAS
// handle bound to the stream (TF32 tensor-op math only when asked), a pinned staging
// buffer for uploads and downloads, and a scratch buffer for reductions.
// Nothing synchronises inside an iteration: only Download and the reductions whose
// result the host reads (Dot, Asum, SoftmaxLossForward) wait for the stream.
// The rest of the interface is split by topic across CudaDevice.*.cs.
using Omnivore.Core;
using static Omnivore.Cuda.CudaDriver;

namespace Omnivore.Cuda;

public sealed record CudaDeviceOptions
{
    /// <summary>cuBLAS TF32 tensor-op math for sgemm (faster, ~10-bit mantissa products).</summary>
    public bool Tf32 { get; init; }
}

public sealed unsafe partial class CudaDevice : IDevice, IAsynchronousDevice
{
    private const int StagingBytes = 16 << 20;
    private readonly int _device;
    private readonly nint _context, _stream, _blas, _module, _stagingEvent;
    private readonly byte* _staging;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, nint> _kernels = new();
    private readonly object _stagingGate = new();
    private readonly int _maxBlocks;
    private long _allocated;
    private bool _disposed;

    [ThreadStatic] private static nint _currentContext;

    private CudaDevice(GpuInfo gpu, CudaDeviceOptions options)
    {
        Gpu = gpu;
        Options = options;
        int d;
        Check(cuDeviceGet(&d, gpu.Ordinal), "cuDeviceGet");
        _device = d;
        nint ctx;
        Check(cuDevicePrimaryCtxRetain(&ctx, d), "cuDevicePrimaryCtxRetain");
        _context = ctx;
        MakeCurrent();
        nint s, e, h, m;
        Check(cuStreamCreate(&s, StreamNonBlocking), "cuStreamCreate");
        _stream = s;
        Check(cuEventCreate(&e, EventDisableTiming), "cuEventCreate");
        _stagingEvent = e;
        void* pinned;
        Check(cuMemHostAlloc(&pinned, StagingBytes, 0), "cuMemHostAlloc");
        _staging = (byte*)pinned;
        Cublas.Check(Cublas.cublasCreate(&h), "cublasCreate");
        _blas = h;
        Cublas.Check(Cublas.cublasSetStream(h, s), "cublasSetStream");
        Cublas.Check(Cublas.cublasSetMathMode(h, options.Tf32 ? Cublas.Tf32TensorOpMath : Cublas.DefaultMath), "cublasSetMathMode");
        var sources = CudaKernelSources.Load();
        var (image, how) = CudaModule.Build(sources, gpu.Major, gpu.Minor);
        fixed (byte* p = image) Check(cuModuleLoadData(&m, p), "cuModuleLoadData");
        _module = m;
        KernelsDescription = how;
        _maxBlocks = Math.Max(1, gpu.Multiprocessors) * 16;
        int v = 0;
        Cublas.cublasGetVersion(h, &v);
        Name = $"GPU {gpu.Ordinal} ({gpu.Name}, compute capability {gpu.ComputeCapability}, {gpu.MemoryBytes >> 20} MiB, " +
               $"cuBLAS {v / 10000}.{v / 100 % 100}{(options.Tf32 ? ", TF32" : "")})";
    }

    /// <summary>Opens GPU `ordinal`; throws an OmnivoreException saying why when it cannot.</summary>
    public static CudaDevice Create(int ordinal = 0, CudaDeviceOptions? options = null)
    {
        var report = GpuInventory.Query();
        if (report.Devices.Count == 0) throw new OmnivoreException($"no GPU can be used: {report.NoDeviceReason}");
        if (ordinal < 0 || ordinal >= report.Devices.Count)
            throw new OmnivoreException($"there is no gpu{ordinal}: this machine has {report.Devices.Count} GPU(s)");
        if (report.NvrtcMissing is not null) throw new OmnivoreException($"the GPU engine needs NVRTC: {report.NvrtcMissing}");
        if (report.CublasMissing is not null) throw new OmnivoreException($"the GPU engine needs cuBLAS: {report.CublasMissing}");
        return new CudaDevice(report.Devices[ordinal], options ?? new CudaDeviceOptions());
    }

    public string Name { get; }
    public GpuInfo Gpu { get; }
    public CudaDeviceOptions Options { get; }
    /// <summary>Where the kernels came from (sources, architecture, cache or compile time).</summary>
    public string KernelsDescription { get; }
    public long AllocatedBytes => Interlocked.Read(ref _allocated);

    private void MakeCurrent()
    {
        if (_currentContext == _context) return;
        Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");
        _currentContext = _context;
    }

    /// <summary>Waits for everything queued so far (for timing; the layers never need it).</summary>
    public void Synchronize()
    {
        MakeCurrent();
        Check(cuStreamSynchronize(_stream), "cuStreamSynchronize");
    }

    // ---- kernel launches ----------------------------------------------------------------
    // Every argument travels as one 8-byte slot: pointers and i64 whole, int sign-extended,
    // float as its bits in the low 4 bytes (little-endian), which is what the driver reads
    // for a 4-byte parameter.
    private static ulong A(DeviceBuffer b) => (ulong)b.Ptr;
    private static ulong A(long v) => (ulong)v;
    private static ulong A(int v) => (ulong)(long)v;
    private static ulong A(float v) => (uint)BitConverter.SingleToInt32Bits(v);
    private static ulong A(ulong v) => v;

    private nint Kernel(string name)
    {
        if (_kernels.TryGetValue(name, out var f)) return f;
        nint fn;
        Check(cuModuleGetFunction(&fn, _module, name), $"cuModuleGetFunction({name})");
        _kernels[name] = fn;
        return fn;
    }

    /// <summary>Queues kernel `name` over `threads` grid-stride iterations (none when threads &lt;= 0).</summary>
    private void Launch(string name, long threads, ReadOnlySpan<ulong> args)
    {
        if (threads <= 0) return;
        MakeCurrent();
        const int block = 256;
        long blocks = Math.Min((threads + block - 1) / block, _maxBlocks);
        var fn = Kernel(name);
        var ptrs = stackalloc void*[args.Length];
        fixed (ulong* a = args)
        {
            for (int i = 0; i < args.Length; i++) ptrs[i] = a + i;
            Check(cuLaunchKernel(fn, (uint)blocks, 1, 1, block, 1, 1, 0, _stream, ptrs, null), $"cuLaunchKernel({name})");
        }
    }

    // ---- memory -------------------------------------------------------------------------
    public DeviceBuffer Allocate(long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        MakeCurrent();
        long bytes = Math.Max(count, 1) * sizeof(float);
        ulong p;
        int rc = cuMemAlloc(&p, (nuint)bytes);
        if (rc != Success)
            throw new CudaException($"cuMemAlloc of {bytes >> 20} MiB failed: {Describe(rc)} ({AllocatedBytes >> 20} MiB allocated so far on {Gpu.Name})", rc);
        Check(cuMemsetD32Async(p, 0, (nuint)Math.Max(count, 1), _stream), "cuMemsetD32Async");
        Interlocked.Add(ref _allocated, bytes);
        return new DeviceBuffer((nint)p, count);
    }

    public void Free(DeviceBuffer buffer)
    {
        if (buffer.Ptr == 0) return;
        MakeCurrent();
        // cuMemFree does not wait for queued work that may still use the buffer.
        Check(cuStreamSynchronize(_stream), "cuStreamSynchronize");
        Check(cuMemFree((ulong)buffer.Ptr), "cuMemFree");
        Interlocked.Add(ref _allocated, -Math.Max(buffer.Length, 1) * sizeof(float));
    }

    public void Upload(DeviceBuffer dst, ReadOnlySpan<float> src)
    {
        if (src.Length > dst.Length) throw new ArgumentException($"upload of {src.Length} floats into {dst.Length}");
        fixed (float* p = src) UploadBytes((ulong)dst.Ptr, (byte*)p, (long)src.Length * 4);
    }

    public void UploadInts(DeviceBuffer dst, ReadOnlySpan<int> src)
    {
        if (src.Length > dst.Length) throw new ArgumentException($"upload of {src.Length} ints into {dst.Length}");
        fixed (int* p = src) UploadBytes((ulong)dst.Ptr, (byte*)p, (long)src.Length * 4);
    }

    public void Download(Span<float> dst, DeviceBuffer src)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"download of {src.Length} floats into {dst.Length}");
        fixed (float* p = dst) DownloadBytes((byte*)p, (ulong)src.Ptr, src.Length * 4);
    }

    public void DownloadInts(Span<int> dst, DeviceBuffer src)
    {
        if (dst.Length < src.Length) throw new ArgumentException($"download of {src.Length} ints into {dst.Length}");
        fixed (int* p = dst) DownloadBytes((byte*)p, (ulong)src.Ptr, src.Length * 4);
    }

    /// <summary>Through the pinned staging buffer, queued on the stream: the host only waits
    /// when it refills the staging buffer before the previous copy out of it has run.</summary>
    private void UploadBytes(ulong dst, byte* src, long bytes)
    {
        MakeCurrent();
        lock (_stagingGate)
        for (long done = 0; done < bytes; done += StagingBytes)
        {
            long n = Math.Min(StagingBytes, bytes - done);
            Check(cuEventSynchronize(_stagingEvent), "cuEventSynchronize");
            Buffer.MemoryCopy(src + done, _staging, StagingBytes, n);
            Check(cuMemcpyHtoDAsync(dst + (ulong)done, _staging, (nuint)n, _stream), "cuMemcpyHtoDAsync");
            Check(cuEventRecord(_stagingEvent, _stream), "cuEventRecord");
        }
    }

    /// <summary>Waits for the stream (everything queued before), then copies out.</summary>
    private void DownloadBytes(byte* dst, ulong src, long bytes)
    {
        MakeCurrent();
        lock (_stagingGate)
        for (long done = 0; done < bytes; done += StagingBytes)
        {
            long n = Math.Min(StagingBytes, bytes - done);
            Check(cuEventSynchronize(_stagingEvent), "cuEventSynchronize");
            Check(cuMemcpyDtoHAsync(_staging, src + (ulong)done, (nuint)n, _stream), "cuMemcpyDtoHAsync");
            Check(cuStreamSynchronize(_stream), "cuStreamSynchronize");
            Buffer.MemoryCopy(_staging, dst + done, n, n);
        }
    }

    public void Copy(DeviceBuffer dst, DeviceBuffer src)
    {
        if (dst.Ptr == src.Ptr) return;
        SameLength(dst, src);
        if (src.Length == 0) return;
        MakeCurrent();
        Check(cuMemcpyDtoDAsync((ulong)dst.Ptr, (ulong)src.Ptr, (nuint)(src.Length * 4), _stream), "cuMemcpyDtoDAsync");
    }

    public void Set(DeviceBuffer y, float value)
    {
        if (y.Length == 0) return;
        MakeCurrent();
        Check(cuMemsetD32Async((ulong)y.Ptr, (uint)BitConverter.SingleToInt32Bits(value), (nuint)y.Length, _stream),
            "cuMemsetD32Async");
    }

    private static void SameLength(DeviceBuffer a, DeviceBuffer b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"buffers differ in length: {a.Length} vs {b.Length}");
    }

    private static void NeedElements(DeviceBuffer b, long needed, string what)
    {
        if (b.Length < needed) throw new ArgumentException($"{what}: buffer of {b.Length} elements, {needed} needed");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            MakeCurrent();
            cuStreamSynchronize(_stream);
            if (_scratch != 0) cuMemFree(_scratch);
            cuModuleUnload(_module);
            Cublas.cublasDestroy(_blas);
            cuMemFreeHost(_staging);
            cuEventDestroy(_stagingEvent);
            if (_peerEvent != 0) cuEventDestroy(_peerEvent);
            cuStreamDestroy(_stream);
        }
        finally
        {
            cuDevicePrimaryCtxRelease(_device);
            _currentContext = 0;
        }
    }
}
