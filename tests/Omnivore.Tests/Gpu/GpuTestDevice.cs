// GpuTestDevice: one CudaDevice for the GPU tests, opened once. Where no GPU can be used
// the test is skipped (GpuFixture says why); where a GPU is present but the engine cannot
// open (NVRTC or cuBLAS missing) it is skipped with that reason too.
using Omnivore.Core;
using Omnivore.Cuda;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

public static class GpuTestDevice
{
    private static readonly Lazy<(CudaDevice? Device, string? Why)> Opened = new(() =>
    {
        try
        {
            return (CudaDevice.Create(0), null);
        }
        catch (OmnivoreException e)
        {
            return (null, e.Message);
        }
    });

    public static CudaDevice Require()
    {
        GpuFixture.RequireGpu();
        var (device, why) = Opened.Value;
        if (device is null) Assert.Ignore($"GPU test skipped: the GPU engine cannot open: {why}");
        return device!;
    }
}
