// TimeReportTests: `omnivore time` keeps Caffe's lines and adds the median table (fwd/bwd
// ms, share %, GFLOP, GFLOP/s per layer; the timed SGD update; the iteration's ms,
// images/s, GFLOP/s and share of the probe's sgemm peak). Two iterations of a tiny net.
using Omnivore.Cli.Commands;
using Omnivore.Cli.Timing;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Native;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class TimeReportTests
{
    public const string TinyNet = """
        name: "tiny"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { shape { dim: 4 dim: 2 dim: 6 dim: 6 } shape { dim: 4 }
                                   data_filler { type: "uniform" } data_filler { type: "constant" value: 1 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 3 kernel_size: 3 } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 2 } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    public static readonly MachinePeak FakePeak =
        new("host", "Test CPU", 2, 2, 2, "AVX2+FMA", 50, 100, 2048, 40, 80, "OpenBLAS", DateTime.UnixEpoch);

    [Test]
    public void TimerKeepsEveryIterationAndTheUpdate()
    {
        using var net = new Net(TextFormat.Parse<NetParameter>(TinyNet, "tiny"), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        var weights = new float[net.Arena.Count];
        CpuFixture.Device.Download(weights, net.Arena.Data);
        var seen = new List<int>();
        var t = NetTimer.Run(net, iterations: 3, warmup: 1, update: true, onIteration: (i, _, _) => seen.Add(i));
        Assert.That(seen, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(t.Iterations, Is.EqualTo(3));
        Assert.That(t.BatchSize, Is.EqualTo(4));
        Assert.That(t.Update, Is.True);
        Assert.That(t.Layers.Select(l => l.Name), Is.EqualTo(new[] { "data", "conv", "relu", "ip", "loss" }));
        Assert.That(t.Layers.All(l => l.ForwardMs.Length == 3 && l.ForwardMs.All(ms => ms >= 0)));
        Assert.That(t.UpdateMs.All(ms => ms > 0));
        Assert.That(t.MedianIterationMs, Is.GreaterThan(t.MedianForwardBackwardMs * 0.5));
        // conv: out 4x3x4x4 x 18; ip: 4 x 48 x 2.
        double conv = 2.0 * 4 * 3 * 4 * 4 * 18, ip = 2.0 * 4 * 48 * 2;
        Assert.That(t.ForwardFlops, Is.EqualTo(conv + ip));
        Assert.That(t.BackwardFlops, Is.EqualTo(conv + 2 * ip));
        var after = new float[net.Arena.Count];
        CpuFixture.Device.Download(after, net.Arena.Data);
        Assert.That(after, Is.Not.EqualTo(weights), "the timed update changed the weights");
        var diffs = new float[net.Arena.Count];
        CpuFixture.Device.Download(diffs, net.Arena.Diff);
        Assert.That(diffs.All(d => d == 0), "the update clears the gradients");
    }

    [Test]
    public void ReportHasTheNewColumns()
    {
        using var net = new Net(TextFormat.Parse<NetParameter>(TinyNet, "tiny"), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        var t = NetTimer.Run(net, iterations: 2);
        var text = TimeReport.Format(t, FakePeak);
        var lines = text.Split('\n');
        Assert.That(lines[1], Does.Contain("fwd ms").And.Contain("bwd ms").And.Contain("share %").And.Contain("GFLOP/s"));
        Assert.That(lines.Single(l => l.StartsWith("conv ")), Does.Match(@"^conv\s+Convolution\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+0\.000\s+[\d.]+"));
        Assert.That(lines.Single(l => l.StartsWith("relu ")), Does.Match(@"-\s+-\s*$"), "no FLOPs counted for ReLU");
        Assert.That(text, Does.Contain("(update)").And.Contain("SGD momentum"));
        Assert.That(text, Does.Contain("images/s (batch 4)"));
        Assert.That(text, Does.Match(@"Share of peak: [\d.]+% of the sgemm peak \(80\.0 GFLOP/s, 2048\^3, 2 threads\)"));
        Assert.That(TimeReport.Format(t, null), Does.Not.Contain("Share of peak"));
        // Shares of the layers and the update add up to the whole iteration (medians: roughly).
        // The share column (fixed width, characters 56..63) of the layers and the update sums to
        // about the whole iteration (sums of medians, so only roughly).
        double shares = lines.Skip(2).TakeWhile(l => !l.StartsWith("Iteration"))
            .Sum(l => double.Parse(l.Substring(56, 8), System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(shares, Is.GreaterThan(50).And.LessThan(200));
    }

    [Test]
    public void TimeCommandPrintsCaffeLinesAndTheTable()
    {
        var dir = Path.Combine(Path.GetTempPath(), "omnivore-time-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var model = Path.Combine(dir, "tiny.prototxt");
        File.WriteAllText(model, TinyNet);
        var oldOut = Console.Out;
        var oldLog = Log.Writer;
        var oldVerbose = Log.Verbose;
        var stdout = new StringWriter();
        var log = new StringWriter();
        Console.SetOut(stdout);
        Log.Writer = log;
        Log.Verbose = true;
        try
        {
            Assert.That(TimeCommand.Run(model, 2, "TRAIN", false, 0, null, warmup: 0, update: true, probe: false), Is.Zero);
        }
        finally
        {
            Console.SetOut(oldOut);
            Log.Writer = oldLog;
            Log.Verbose = oldVerbose;
            Directory.Delete(dir, true);
        }
        Assert.That(log.ToString(), Does.Contain("conv\tforward: ").And.Contain("Average Forward-Backward: ").And.Contain("Average Update: "));
        Assert.That(stdout.ToString(), Does.Contain("Per layer, medians over 2 iterations").And.Contain("share %"));
        Assert.That(stdout.ToString(), Does.Contain("Iteration (forward + backward + update), median:"));
    }
}
