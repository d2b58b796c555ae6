// DeviceChoiceTests: how commands pick their device: the CPU by default; a GPU request on
// a machine without a usable GPU falls back to the CPU (with one warning); device names
// for the scheduler ("cpu", "gpu0") parse, and anything else is refused.
using Omnivore.Cli;
using Omnivore.Core;
using Omnivore.Native;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class DeviceChoiceTests
{
    [Test]
    public void WithoutARequestTheCpuIsUsed()
    {
        using var d = DeviceChoice.Open(null, false, 1, "test");
        Assert.That(d, Is.InstanceOf<CpuDevice>());
    }

    [Test]
    public void AGpuRequestWithoutAGpuFallsBackToTheCpu()
    {
        if (GpuFixture.Gpus.Devices.Count > 0) Assert.Ignore("this machine has a GPU");
        using var byFlag = DeviceChoice.Open("0", false, 1, "--gpu");
        Assert.That(byFlag, Is.InstanceOf<CpuDevice>());
        using var bySolver = DeviceChoice.Open(null, true, 1, "solver_mode: GPU");
        Assert.That(bySolver, Is.InstanceOf<CpuDevice>());
        using var byName = DeviceChoice.OpenNamed("gpu0", 1);
        Assert.That(byName, Is.InstanceOf<CpuDevice>());
    }

    [Test]
    public void DeviceNamesParse()
    {
        using var cpu = DeviceChoice.OpenNamed(" CPU ", 1);
        Assert.That(cpu, Is.InstanceOf<CpuDevice>());
        Assert.Throws<OmnivoreException>(() => DeviceChoice.OpenNamed("tpu0", 1));
        Assert.Throws<OmnivoreException>(() => DeviceChoice.Open("x", false, 1, "--gpu"));
    }
}
