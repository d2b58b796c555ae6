// PeakProbeTests: the machine probe's kernels count what they do (FLOPs = 2 x the
// accumulators' checksum, for the chosen instruction set and thread count), the sgemm
// probe returns a positive rate, the JSON cache round-trips per machine, and the summary
// names the figures. Speed itself is not tested: short runs only.
using Omnivore.Native;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class PeakProbeTests
{
    [Test]
    public void FmaLoopCountsItsFlops()
    {
        _ = CpuFixture.Device;
        foreach (int threads in new[] { 1, 2 })
        {
            var (flops, seconds, checksum, isa) = MachineProbe.RunFma(0, threads, 5000);
            int lanes = isa switch { 3 => 16, 2 => 8, _ => 4 };
            Assert.That(isa, Is.InRange(1, 3));
            Assert.That(flops, Is.EqualTo(2.0 * threads * 12 * lanes * 5000), $"threads {threads}");
            Assert.That(checksum * 2, Is.EqualTo(flops));
            Assert.That(seconds, Is.GreaterThan(0));
        }
        Assert.That(() => MachineProbe.RunFma(9, 1, 10), Throws.TypeOf<NativeException>().With.Message.Contains("isa"));
    }

    [Test]
    public void ShortMeasurementsArePositive()
    {
        _ = CpuFixture.Device;
        double fma = MachineProbe.FmaGflops(0, 1, reps: 3, secondsPerRun: 0.005);
        double gemm = MachineProbe.SgemmGflops(1, 96, 64, 80, reps: 3);
        Assert.That(fma, Is.GreaterThan(0.1).And.LessThan(1e5));
        Assert.That(gemm, Is.GreaterThan(0.01).And.LessThan(1e5));
    }

    [Test]
    public void CacheRoundTripsPerMachine()
    {
        var dir = Path.Combine(Path.GetTempPath(), "omnivore-probe-" + Guid.NewGuid().ToString("N"));
        var old = MachineProbe.CacheDirectoryOverride;
        MachineProbe.CacheDirectoryOverride = dir;
        try
        {
            Assert.That(MachineProbe.TryLoad(2), Is.Null);
            var peak = new MachinePeak("host", "Some CPU", 2, 2, 2, "AVX2+FMA", 60, 110, 2048, 50, 95, "OpenBLAS", new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc))
                { ProbeVersion = MachinePeak.CurrentProbeVersion };
            MachineProbe.Save(peak with { ProbeVersion = 1 });
            Assert.That(MachineProbe.TryLoad(2), Is.Null, "figures of an older probe are measured again");
            MachineProbe.Save(peak);
            Assert.That(MachineProbe.TryLoad(2), Is.EqualTo(peak));
            Assert.That(MachineProbe.TryLoad(1), Is.Null, "another thread count is another entry");
            Assert.That(MachineProbe.GetOrMeasure(2), Is.EqualTo(peak), "cached: not measured again");
            File.WriteAllText(MachineProbe.CachePath(2), "{ not json");
            Assert.That(MachineProbe.TryLoad(2), Is.Null, "a broken cache file is ignored");
            var text = string.Join("\n", MachineProbe.Describe(peak));
            Assert.That(text, Does.Contain("Some CPU").And.Contain("FMA peak (AVX2+FMA").And.Contain("60.0 GFLOP/s on 1 thread")
                .And.Contain("sgemm peak (2048^3): 50.0 GFLOP/s on 1 thread, 95.0 GFLOP/s on 2 threads"));
        }
        finally
        {
            MachineProbe.CacheDirectoryOverride = old;
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Test]
    public void CpuModelComesFromProcCpuinfo()
    {
        Assert.That(MachineProbe.CpuModel(), Is.Not.Empty);
        Assert.That(MachineProbe.PhysicalCores(), Is.GreaterThan(0));
    }
}
