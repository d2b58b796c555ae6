// GpuInventory: which NVIDIA GPUs this machine has, and if none, why: the driver library
// is missing, or it is present and reports no device. Also says whether NVRTC and cuBLAS
// can be loaded, since the GPU engine needs both.
using System.Runtime.InteropServices;

namespace Omnivore.Cuda;

public sealed record GpuInfo(int Ordinal, string Name, long MemoryBytes, int Major, int Minor, int Multiprocessors, int ClockKHz)
{
    public string ComputeCapability => $"{Major}.{Minor}";
}

public sealed record GpuReport(
    IReadOnlyList<GpuInfo> Devices, string? DriverVersion, string? NoDeviceReason,
    string? DriverLibrary, string? NvrtcLibrary, string? NvrtcMissing, string? CublasLibrary, string? CublasMissing);

public static unsafe class GpuInventory
{
    public static GpuReport Query()
    {
        var (driver, driverPath, driverMissing) = CudaLibraries.TryLoad(CudaLibraries.Driver);
        var (_, nvrtcPath, nvrtcMissing) = CudaLibraries.TryLoad(CudaLibraries.Nvrtc);
        var (_, cublasPath, cublasMissing) = CudaLibraries.TryLoad(CudaLibraries.Cublas);
        GpuReport Report(IReadOnlyList<GpuInfo> devices, string? version, string? reason) =>
            new(devices, version, reason, driverPath, nvrtcPath, nvrtcMissing, cublasPath, cublasMissing);
        if (driver == 0) return Report([], null, $"no CUDA driver: {driverMissing}");
        try
        {
            int init = CudaDriver.cuInit(0);
            int v = 0;
            CudaDriver.cuDriverGetVersion(&v);
            var version = v > 0 ? $"{v / 1000}.{v % 1000 / 10}" : null;
            if (init != CudaDriver.Success)
                return Report([], version, $"CUDA driver {version ?? "?"} present, but cuInit failed: {CudaDriver.Describe(init)}");
            int count = 0;
            CudaDriver.Check(CudaDriver.cuDeviceGetCount(&count), "cuDeviceGetCount");
            if (count == 0) return Report([], version, $"CUDA driver {version} present, but it reports no device");
            var devices = new List<GpuInfo>();
            for (int i = 0; i < count; i++) devices.Add(Describe(i));
            return Report(devices, version, null);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or CudaException)
        {
            return Report([], null, $"the CUDA driver library {driverPath} cannot be used: {e.Message}");
        }
    }

    private static GpuInfo Describe(int ordinal)
    {
        int d;
        CudaDriver.Check(CudaDriver.cuDeviceGet(&d, ordinal), "cuDeviceGet");
        int dev = d;
        var name = stackalloc byte[256];
        CudaDriver.Check(CudaDriver.cuDeviceGetName(name, 256, dev), "cuDeviceGetName");
        nuint mem;
        CudaDriver.Check(CudaDriver.cuDeviceTotalMem(&mem, dev), "cuDeviceTotalMem");
        int Attr(int a)
        {
            int value;
            CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(&value, a, dev), "cuDeviceGetAttribute");
            return value;
        }
        return new GpuInfo(ordinal, Marshal.PtrToStringUTF8((nint)name) ?? "?", (long)mem,
            Attr(CudaDriver.AttrComputeCapabilityMajor), Attr(CudaDriver.AttrComputeCapabilityMinor),
            Attr(CudaDriver.AttrMultiprocessorCount), Attr(CudaDriver.AttrClockRate));
    }
}
