// BenchReportTests: the macro harness reads RECORDED.md (peaks table and the per-system
// table of ms and img/s), names workloads as RECORDED.md does, prints measured rows beside
// recorded ones (labelled so) with ratios and non-GEMM shares, writes CSV and JSON, and
// runs end to end on a tiny net folder (one iteration, the probe's cache faked).
using System.Text.Json;
using Omnivore.Cli.Bench;
using Omnivore.Cli.Commands;
using Omnivore.Cli.Timing;
using Omnivore.Native;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class BenchReportTests
{
    private const string Recorded = """
        # Figures

        | what | figure |
        | --- | --- |
        | FMA peak, 2 threads (register-only loop) | 234 GFLOP/s |
        | OpenBLAS 0.3.21 sgemm 4096³, 2 threads | 206 GFLOP/s (1 thread: 105.7) |

        Some text.

        | system | CaffeNet b256 | CaffeNet b64 | LeNet b64 |
        | --- | --- | --- | --- |
        | Caffe 1.0 (master 9b89154), OpenBLAS, `caffe time` (fwd+bwd, no update) | 11,185 ms (22.9 img/s) | 2,905 ms (22.0 img/s) | 20.0 ms (3,200 img/s) |
        | CaffeConTroll (CcT, the paper's CPU engine), incl. update | 13,341 ms (19.2 img/s) | 4,018 ms (15.9 img/s) | 21.5 ms (2,977 img/s) |
        | PyTorch 2.10 CPU (libtorch, oneDNN), SGD momentum step included | 11,191 ms (22.9 img/s) | 2,147 ms (29.8 img/s) | n/a |
        """;

    [Test]
    public void ParsesRecordedTables()
    {
        var r = RecordedFigures.Parse(Recorded);
        Assert.That(r.Peaks, Has.Count.EqualTo(2));
        Assert.That(r.Peaks[0], Is.EqualTo(("FMA peak, 2 threads (register-only loop)", "234 GFLOP/s")));
        Assert.That(r.Workloads, Is.EqualTo(new[] { "CaffeNet b256", "CaffeNet b64", "LeNet b64" }));
        Assert.That(r.Systems.Select(s => s.Name), Is.EqualTo(new[] { "Caffe 1.0", "CaffeConTroll", "PyTorch 2.10 CPU" }));
        Assert.That(r.Systems.Select(s => s.IncludesUpdate), Is.EqualTo(new bool?[] { false, true, true }));
        Assert.That(r.Systems[0].Cells["caffenet b256"], Is.EqualTo(new RecordedCell(11185, 22.9)));
        Assert.That(r.Systems[0].Cells["lenet b64"], Is.EqualTo(new RecordedCell(20.0, 3200)));
        Assert.That(r.Systems[2].Cells.ContainsKey("lenet b64"), Is.False, "n/a is no figure");
        Assert.That(RecordedFigures.ParseCell("about 3 ms"), Is.Null);
    }

    [Test]
    public void ParsesTheSharedRecordedFile()
    {
        var path = Path.Combine(TestPaths.RequireSharedCaffe(), "bench", "RECORDED.md");
        var r = RecordedFigures.Load(path);
        Assert.That(r.Systems.Count, Is.GreaterThanOrEqualTo(3));
        Assert.That(r.Systems.First(s => s.Name.StartsWith("Caffe ")).Cells["caffenet b64"].Ms, Is.EqualTo(2905));
        Assert.That(RecordedFigures.Load(Path.Combine(Path.GetTempPath(), "no-such-RECORDED.md")), Is.SameAs(RecordedFigures.Empty));
    }

    [Test]
    public void WorkloadNamesMatchRecordedHeaders()
    {
        Assert.That(BenchCommand.Workload("/x/caffenet_dummy_b256.prototxt", 256), Is.EqualTo("CaffeNet b256"));
        Assert.That(BenchCommand.Workload("lenet_dummy_b64.prototxt", 64), Is.EqualTo("LeNet b64"));
        Assert.That(RecordedFigures.Key("CaffeNet  b64"), Is.EqualTo("caffenet b64"));
    }

    private static BenchResult Result(string mode, double iterMs, double fbMs) =>
        new("CaffeNet b64", "caffenet_dummy_b64.prototxt", mode, 64, 5, 1, 2, iterMs, fbMs, iterMs - fbMs, 64 / (iterMs / 1000),
            4.135, 4.135 * 64 / (iterMs / 1000), 50,
            [new LayerShare("conv1", "Convolution", 100, 200, 20, 40), new LayerShare("norm1", "LRN", 30, 40, 3.5, 0),
             new LayerShare("relu1", "ReLU", 1, 1, 0.2, 0)]);

    [Test]
    public void TablePutsMeasuredBesideRecorded()
    {
        var results = new[] { Result("batched", 2000, 1950), Result("caffe", 4000, 3950) };
        var text = BenchReport.Format(results, RecordedFigures.Parse(Recorded), TimeReportTests.FakePeak);
        var lines = text.Split('\n');
        Assert.That(text, Does.Contain("== CaffeNet b64 (caffenet_dummy_b64.prototxt, batch 64): 4.135 GFLOP per image"));
        Assert.That(lines.Single(l => l.StartsWith("Omnivore batched (measured)") && l.Contains("fwd+bwd+upd")),
            Does.Match(@"2000\.0\s+32\.0\s+132\.3\s+\S+\s+1\.00x"));
        Assert.That(lines.Single(l => l.StartsWith("Omnivore caffe (measured)") && l.Contains("fwd+bwd+upd")), Does.EndWith("2.00x"));
        // Caffe's recorded figure has no update: compared with our forward + backward (64 / 1.95 s = 32.8 img/s).
        Assert.That(lines.Single(l => l.StartsWith("Caffe 1.0 (recorded)")), Does.Match(@"fwd\+bwd\s+2905\.0\s+22\.0\s+91\.0\s+-\s+1\.49x"));
        Assert.That(lines.Single(l => l.StartsWith("CaffeConTroll (recorded)")), Does.Contain("incl. update"));
        Assert.That(text, Does.Contain("batched / Caffe-strategy ratio (measured side by side): 2.00x"));
        Assert.That(text, Does.Contain("non-GEMM layers, batched: 3.7% of the iteration in all; largest: norm1 3.5%"));
        Assert.That(text, Does.Contain("Recorded on this kind of machine (RECORDED.md, not measured in this run)"));
        Assert.That(text, Does.Contain("  conv1, fwd+bwd: caffe 300.0 ms; batched 300.0 ms (1.00x)"));
        Assert.That(BenchReport.Format([results[0]], RecordedFigures.Empty, null), Does.Contain("ratio to Caffe's strategy: n/a"));
    }

    [Test]
    public void TheEnginesOwnChoiceIsTheReferenceRow()
    {
        var results = new[] { Result("auto", 1000, 950), Result("batched", 2000, 1950), Result("packed", 1250, 1200), Result("caffe", 4000, 3950) };
        var text = BenchReport.Format(results, RecordedFigures.Empty, TimeReportTests.FakePeak);
        var lines = text.Split('\n');
        Assert.That(text, Does.Contain("auto ÷ row"));
        Assert.That(lines.Single(l => l.StartsWith("Omnivore batched (measured)") && l.Contains("fwd+bwd+upd")), Does.EndWith("2.00x"));
        Assert.That(lines.Single(l => l.StartsWith("Omnivore packed (measured)") && l.Contains("fwd+bwd+upd")), Does.EndWith("1.25x"));
        Assert.That(text, Does.Contain("auto / Caffe-strategy ratio (measured side by side): 4.00x"));
        Assert.That(text, Does.Contain("packed / Caffe-strategy ratio (measured side by side): 3.20x"));
    }

    [Test]
    public void EachRoundIsSetAgainstTheLargerSgemmSampleAroundIt()
    {
        Assert.That(BenchResult.PairedPercent(150, 200, 250), Is.EqualTo(60).Within(1e-12));
        Assert.That(BenchResult.PairedPercent(150, 250, 200), Is.EqualTo(60).Within(1e-12));
        var r = Result("packed", 1000, 950) with { PairedPercents = [71.0, 64.5, 80.26] };
        Assert.That(r.PairedPercentMedian, Is.EqualTo(71.0));
        Assert.That(Result("packed", 1000, 950).PairedPercentMedian, Is.NaN);
        var text = BenchReport.Format([r, Result("caffe", 2000, 1950)], RecordedFigures.Empty, TimeReportTests.FakePeak);
        Assert.That(text, Does.Contain("% of the sgemm sample right before or after each round (the larger; median over rounds): packed 71.0% (rounds 71.0, 64.5, 80.3)"));
        Assert.That(text, Does.Not.Contain("caffe 0.0%"), "a row without rounds is left out");
        var csv = BenchReport.ToCsv([r]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(csv[0], Does.EndWith("pct_sgemm_peak,pct_sgemm_paired"));
        Assert.That(csv[1], Does.EndWith(",71"));
    }

    [Test]
    public void CsvAndJsonHoldEveryRow()
    {
        var results = new[] { Result("batched", 2000, 1950) };
        var csv = BenchReport.ToCsv(results).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(csv[0], Does.StartWith("workload,net,mode,batch"));
        Assert.That(csv[1], Does.StartWith("CaffeNet b64,caffenet_dummy_b64.prototxt,batched,64,5,1,2,2000,1950,50,32,"));
        using var doc = JsonDocument.Parse(BenchReport.ToJson(results));
        Assert.That(doc.RootElement[0].GetProperty("ImagesPerSecond").GetDouble(), Is.EqualTo(32));
        Assert.That(doc.RootElement[0].GetProperty("Layers").GetArrayLength(), Is.EqualTo(3));
    }

    [Test]
    public void TimingsOfSeveralRoundsJoinInOrderAndPoolTheirMedians()
    {
        static NetTiming Part(double[] fwd, double[] upd) => new("n", 8,
            [new LayerTiming("conv", "Convolution", fwd, fwd.Select(f => 2 * f).ToArray(), 1e9, 2e9)],
            fwd, fwd.Select(f => 2 * f).ToArray(), upd, true);
        var joined = NetTiming.Concat([Part([1, 9], [0.5, 0.5]), Part([3], [0.5]), Part([100, 2], [0.5, 0.5])]);
        Assert.That(joined.Iterations, Is.EqualTo(5));
        Assert.That(joined.ForwardMs, Is.EqualTo(new double[] { 1, 9, 3, 100, 2 }));
        Assert.That(joined.Layers[0].BackwardMs, Is.EqualTo(new double[] { 2, 18, 6, 200, 4 }));
        Assert.That(joined.MedianIterationMs, Is.EqualTo(3 + 6 + 0.5));   // the middle of 5 iterations, across rounds
        Assert.That(joined.Layers[0].MedianForwardMs, Is.EqualTo(3));
        Assert.That(joined.Flops, Is.EqualTo(3e9));
        Assert.That(() => NetTiming.Concat([]), Throws.ArgumentException);
    }

    [Test]
    public void RunsEndToEndOnATinyNetFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "omnivore-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "lenet_tiny_b4.prototxt"), TimeReportTests.TinyNet);
        File.WriteAllText(Path.Combine(dir, "RECORDED.md"), Recorded);
        var old = MachineProbe.CacheDirectoryOverride;
        MachineProbe.CacheDirectoryOverride = Path.Combine(dir, "cache");
        MachineProbe.Save(TimeReportTests.FakePeak with { Threads = CpuFixture.Device.Threads });
        var oldOut = Console.Out;
        var stdout = new StringWriter();
        Console.SetOut(stdout);
        try
        {
            var stem = Path.Combine(dir, "out", "results");
            Assert.That(BenchCommand.Run(dir, "lenet_tiny_b4.prototxt", null, 2, 1, stem, 0, minSeconds: 0, rounds: 1), Is.Zero);
            Assert.That(File.ReadAllText(stem + ".csv"), Does.Contain("LeNet b4,lenet_tiny_b4.prototxt,batched,4,2,1,"));
            // Interleaved rounds: each mode runs once per round and its rows pool every round's
            // iterations: 3 rounds of ceil(4 / 3) = 2.
            stdout.GetStringBuilder().Clear();
            Assert.That(BenchCommand.Run(dir, "lenet_tiny_b4.prototxt", null, 4, 1, stem, 0, minSeconds: 0, rounds: 3), Is.Zero);
            Assert.That(File.ReadAllText(stem + ".csv"), Does.Contain("LeNet b4,lenet_tiny_b4.prototxt,batched,4,6,1,"));
            Assert.That(stdout.ToString(), Does.Contain("medians of 6 iterations in 3 interleaved rounds, each after 1 warm-up")
                .And.Contain("% of the median sgemm sample (").And.Contain("the largest sample in this run, median "));
            using (var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(stem + ".json")))
                Assert.That(doc.RootElement[0].GetProperty("Rounds").GetInt32(), Is.EqualTo(3));
            Assert.That(() => BenchCommand.Run(dir, "lenet_tiny_b4.prototxt", null, 1, 0, stem, 0, rounds: 0),
                Throws.TypeOf<Omnivore.Core.OmnivoreException>().With.Message.Contains("--rounds"));
            // A fast net gets more timed iterations than asked, for about --min-seconds.
            Assert.That(BenchCommand.Run(dir, "lenet_tiny_b4.prototxt", "batched", 2, 1, stem, 0, minSeconds: 0.2), Is.Zero);
            var row = File.ReadAllLines(stem + ".csv")[1].Split(',');
            Assert.That(int.Parse(row[4], System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(2));
            Assert.That(File.Exists(stem + ".json"));
            Assert.That(stdout.ToString(), Does.Contain("== LeNet b4").And.Contain("Omnivore batched (measured)"));
            Assert.That(() => BenchCommand.Run(dir, "missing.prototxt", null, 1, 0, stem, 0),
                Throws.TypeOf<Omnivore.Core.OmnivoreException>().With.Message.Contains("not found"));
            Assert.That(() => BenchCommand.Run(dir, "lenet_tiny_b4.prototxt", "winograd", 1, 0, stem, 0),
                Throws.TypeOf<Omnivore.Core.OmnivoreException>().With.Message.Contains("not available"));
        }
        finally
        {
            Console.SetOut(oldOut);
            MachineProbe.CacheDirectoryOverride = old;
            Directory.Delete(dir, true);
        }
    }
}
