// GpuInventoryTests: device discovery works everywhere: without CUDA it reports why
// (never throws), and `omnivore device_query` prints the CPU and either the GPUs or the
// reason there are none; with a GPU it lists each one with sane properties.
using Omnivore.Cli.Commands;
using Omnivore.Cuda;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class GpuInventoryTests
{
    [Test]
    public void QueryNeverThrowsAndExplainsAnAbsence()
    {
        var r = GpuInventory.Query();
        if (r.Devices.Count == 0)
        {
            Assert.That(r.NoDeviceReason, Is.Not.Null.And.Not.Empty);
            Assert.That(r.NoDeviceReason, Does.Contain("libcuda").Or.Contain("no device").Or.Contain("cuInit"));
        }
        else
        {
            Assert.That(r.NoDeviceReason, Is.Null);
            Assert.That(r.DriverVersion, Is.Not.Null);
        }
    }

    [Test]
    public void DeviceQueryListsCpuAndGpusOrTheReason()
    {
        var sw = new StringWriter();
        Assert.That(DeviceQueryCommand.Run(sw), Is.EqualTo(0));
        var lines = sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Does.StartWith("cpu: ").And.Contain("logical cores"));
        Assert.That(lines[1], Does.StartWith("gpu0: ").Or.StartWith("gpu: none ("));
    }

    [Test]
    public void EachGpuHasSaneProperties()
    {
        GpuFixture.RequireGpu();
        foreach (var g in GpuFixture.Gpus.Devices)
        {
            Assert.That(g.Name, Is.Not.Empty);
            Assert.That(g.MemoryBytes, Is.GreaterThan(1L << 30));
            Assert.That(g.Major, Is.GreaterThanOrEqualTo(3));
            Assert.That(g.Multiprocessors, Is.GreaterThan(0));
        }
    }

    [Test]
    public void SearchIncludesToolkitAndWheelFolders()
    {
        var folders = CudaLibraries.SearchFolders().ToList();
        Assert.That(folders, Does.Contain("/usr/local/cuda/lib64"));
        Assert.That(folders, Does.Contain("/usr/lib/x86_64-linux-gnu"));
    }
}
