// GpuLayerTests: every layer's forward and backward on the GPU against the CPU on the same
// inputs (the cases and tolerances of Omnivore.Cli.SelfTest.GpuLayerChecks, which
// `omnivore selftest gpu` runs on GPU machines without .NET). Skipped without a GPU.
using Omnivore.Cli.SelfTest;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class GpuLayerTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        GpuLayerChecks.Cases.Select(c => new TestCaseData(c.Name).SetName($"GpuLayer({c.Name})"));

    [TestCaseSource(nameof(Cases))]
    public void LayerMatchesTheCpu(string name)
    {
        var gpu = GpuTestDevice.Require();
        var result = GpuLayerChecks.Run(GpuLayerChecks.Cases.Single(c => c.Name == name), CpuFixture.Device, gpu);
        Assert.That(result.Pass, Is.True, result.ToString());
    }
}
