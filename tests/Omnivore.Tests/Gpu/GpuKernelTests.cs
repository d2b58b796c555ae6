// GpuKernelTests: the GPU's solver updates, reductions, sgemm, layout kernels and random
// fills against the CPU (the cases of Omnivore.Cli.SelfTest.GpuKernelChecks), and the
// random fills' distributions. Skipped without a GPU.
using Omnivore.Cli.SelfTest;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class GpuKernelTests
{
    private static IEnumerable<TestCaseData> Cases() =>
        GpuKernelChecks.Cases.Select(c => new TestCaseData(c.Name).SetName($"GpuKernel({c.Name})"));

    [TestCaseSource(nameof(Cases))]
    public void KernelMatchesTheCpu(string name)
    {
        var gpu = GpuTestDevice.Require();
        var result = GpuKernelChecks.Run(GpuKernelChecks.Cases.Single(c => c.Name == name), CpuFixture.Device, gpu);
        Assert.That(result.Pass, Is.True, result.ToString());
    }

    [Test]
    public void RandomFillsHaveTheirDistributions()
    {
        var result = GpuKernelChecks.RandomDistributions(GpuTestDevice.Require());
        Assert.That(result.Pass, Is.True, result.ToString());
    }

    [Test]
    public void UploadDownloadRoundTripsLargerThanTheStagingBuffer()
    {
        var gpu = GpuTestDevice.Require();
        var values = Inputs.Uniform((24 << 20) / 4 + 3, 5);  // 24 MiB + 3 floats: two staging rounds
        var b = Inputs.Put(gpu, values);
        try
        {
            Assert.That(Inputs.Get(gpu, b), Is.EqualTo(values));
        }
        finally
        {
            gpu.Free(b);
        }
    }
}
