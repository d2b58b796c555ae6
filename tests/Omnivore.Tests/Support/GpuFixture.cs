// GpuFixture: the GPU tests' gate. Where no NVIDIA GPU can be used, a GPU test is
// skipped (Ignored) with the stated reason: the driver library is missing, or present
// but reporting no device.
using Omnivore.Cuda;

namespace Omnivore.Tests.Support;

public static class GpuFixture
{
    private static readonly Lazy<GpuReport> Report = new(GpuInventory.Query);

    public static GpuReport Gpus => Report.Value;

    public static GpuInfo RequireGpu()
    {
        var r = Report.Value;
        if (r.Devices.Count == 0) Assert.Ignore($"GPU test skipped: {r.NoDeviceReason}");
        return r.Devices[0];
    }
}
