// CudaDriver: [LibraryImport] bindings to the CUDA driver API (libcuda.so.1), the calls
// Omnivore uses: initialisation, devices and their attributes, primary contexts, memory
// (device and pinned host), synchronous and asynchronous copies, streams, events, modules
// and kernel launches. Check() turns a CUresult into an exception naming the call and the
// driver's own error name and text.
using System.Runtime.InteropServices;

namespace Omnivore.Cuda;

internal static unsafe partial class CudaDriver
{
    private const string Lib = CudaLibraries.Driver;

    public const int Success = 0;
    public const int ErrorNoDevice = 100;

    // CUdevice_attribute values used here.
    public const int AttrMultiprocessorCount = 16;
    public const int AttrClockRate = 13;
    public const int AttrComputeCapabilityMajor = 75;
    public const int AttrComputeCapabilityMinor = 76;

    public const uint StreamNonBlocking = 1;
    public const uint EventDisableTiming = 2;

    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int len, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(nuint* bytes, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();
    [LibraryImport(Lib)] public static partial int cuCtxGetCurrent(nint* context);

    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(ulong* ptr, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong ptr);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(nuint* free, nuint* total);
    [LibraryImport(Lib)] public static partial int cuMemHostAlloc(void** ptr, nuint bytes, uint flags);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(void* ptr);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] public static partial int cuMemcpyHtoD(ulong dst, void* src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] public static partial int cuMemcpyDtoH(void* dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoD_v2")] public static partial int cuMemcpyDtoD(ulong dst, ulong src, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemsetD32Async")] public static partial int cuMemsetD32Async(ulong dst, uint value, nuint count, nint stream);

    [LibraryImport(Lib)] public static partial int cuStreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] public static partial int cuEventCreate(nint* evt, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Lib)] public static partial int cuStreamWaitEvent(nint stream, nint evt, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(float* ms, nint start, nint end);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);

    [LibraryImport(Lib)] public static partial int cuModuleLoadData(nint* module, void* image);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int cuModuleGetFunction(nint* function, nint module, string name);
    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);

    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, byte** text);

    /// <summary>Throws a CudaException naming the call when result is not CUDA_SUCCESS.</summary>
    public static void Check(int result, string call)
    {
        if (result == Success) return;
        throw new CudaException($"{call} failed: {Describe(result)}", result);
    }

    public static string Describe(int result)
    {
        byte* name = null, text = null;
        try
        {
            cuGetErrorName(result, &name);
            cuGetErrorString(result, &text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        var n = name == null ? $"CUresult {result}" : Marshal.PtrToStringUTF8((nint)name);
        var t = text == null ? "" : $" ({Marshal.PtrToStringUTF8((nint)text)})";
        return n + t;
    }
}

/// <summary>A failure reported by the CUDA driver, NVRTC or cuBLAS, naming the call.</summary>
public sealed class CudaException(string message, int code = 0) : Omnivore.Core.OmnivoreException(message)
{
    public int Code { get; } = code;
}
