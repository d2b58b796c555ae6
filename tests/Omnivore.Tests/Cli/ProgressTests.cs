// ProgressTests: the live progress line of `omnivore train`. Its text is a pure function
// (iteration/max_iter, loss, images/s, ETA, split), cut to the terminal width; the
// decision to draw it is made in one place (only a terminal, never a pipe, file, CI or
// TERM=dumb); a real `omnivore train` with standard error piped writes only plain Caffe
// log lines, no escape codes; and when live, the log lines still appear whole above it.
using System.Diagnostics;
using Omnivore.Cli.Progress;
using Omnivore.Core;
using Omnivore.Solvers;
using Omnivore.Tests.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class ProgressTests
{
    [Test]
    public void TextShowsEveryField()
    {
        var s = new ProgressState(120, 10000, 0.23456f, 12.5, 64, "CPU (OpenBLAS, 2 threads)");
        Assert.That(ProgressText.Format(s), Is.EqualTo(
            "iter 120/10000 (1.2%) | loss 0.2346 | 800 img/s | ETA 13:11 | split CPU (OpenBLAS, 2 threads)"));
        Assert.That(ProgressText.Format(s with { IterationsPerSecond = 0 }), Does.Contain("0 img/s | ETA --"));
        Assert.That(ProgressText.Format(s with { Loss = float.NaN }), Does.Contain("loss NaN"));
    }

    [Test]
    public void SplitShowsAShortDeviceLabel()
    {
        Assert.That(ProgressText.DeviceLabel("CPU (OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH, 2 threads)"), Is.EqualTo("CPU, 2 threads"));
        Assert.That(ProgressText.DeviceLabel("CPU (x)"), Is.EqualTo("CPU"));
        Assert.That(ProgressText.DeviceLabel("GPU 0"), Is.EqualTo("GPU 0"));
    }

    [TestCase(0, 1.0, "0:00")]
    [TestCase(10, 0.0, "--")]
    [TestCase(10, double.NaN, "--")]
    [TestCase(90, 1.0, "1:30")]
    [TestCase(3725, 1.0, "1:02:05")]
    [TestCase(5, 2.0, "0:03")]
    [TestCase(1000000, 1.0, ">99h")]
    public void EtaFormatsRemainingTime(int remaining, double rate, string expected) =>
        Assert.That(ProgressText.Eta(remaining, rate), Is.EqualTo(expected));

    [Test]
    public void TextIsCutToTheTerminalWidth()
    {
        Assert.That(ProgressText.Fit("abcdef", 10), Is.EqualTo("abcdef"));
        Assert.That(ProgressText.Fit("abcdefghijkl", 8), Is.EqualTo("abcdef…"));
        Assert.That(ProgressText.Fit("abc", 0), Is.Empty);
    }

    [Test]
    public void LiveOnlyOnATerminal()
    {
        Func<string, string?> Env(params (string Key, string Value)[] vars) => k => vars.FirstOrDefault(v => v.Key == k).Value;
        Assert.That(ProgressMode.Live(false, Env(("TERM", "xterm-256color"))), Is.True);
        Assert.That(ProgressMode.Live(true, Env(("TERM", "xterm-256color"))), Is.False, "pipe or file");
        Assert.That(ProgressMode.Live(false, Env(("TERM", "dumb"))), Is.False);
        Assert.That(ProgressMode.Live(false, Env()), Is.False, "no TERM (batch job)");
        Assert.That(ProgressMode.Live(false, Env(("TERM", "xterm"), ("CI", "true"))), Is.False);
        Assert.That(ProgressMode.Live(false, Env(("TERM", "xterm"), ("OMNIVORE_PROGRESS", "0"))), Is.False);
    }

    [Test]
    public void PipedTrainWritesOnlyPlainCaffeLogLines()
    {
        var exe = SnapshotKillTests.FindProgram();
        if (exe is null) Assert.Ignore("the omnivore program is not built");
        var dir = Directory.CreateTempSubdirectory("omnivore-progress-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "net.prototxt"), """
                layer { name: "d" type: "DummyData" top: "data" top: "label"
                        dummy_data_param { shape { dim: 4 dim: 8 } shape { dim: 4 } data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
                layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 2 } }
                layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
                """);
            File.WriteAllText(Path.Combine(dir, "solver.prototxt"),
                $"net: \"{dir}/net.prototxt\" base_lr: 0.01 lr_policy: \"fixed\" max_iter: 4 display: 1 " +
                $"snapshot_prefix: \"{dir}/run\" solver_mode: CPU random_seed: 1");
            var psi = new ProcessStartInfo(exe, ["train", "--solver", Path.Combine(dir, "solver.prototxt"), "--no-probe"])
                { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.Environment["TERM"] = "xterm-256color"; // even so: stderr is a pipe
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            Assert.That(p.WaitForExit(30_000), Is.True);
            Assert.That(p.ExitCode, Is.EqualTo(0), err.Result);
            var text = err.Result + output;
            Assert.That(text, Does.Not.Contain("\u001b"), "no escape codes off the terminal");
            Assert.That(text, Does.Not.Contain("\r"));
            var lines = err.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.All.Match(@"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ ]+:\d+\] "), "every line is a Caffe log line");
            Assert.That(lines.Count(l => l.Contains("] Iteration 3 (")), Is.EqualTo(1));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void LiveLineKeepsLogLinesWholeAboveIt()
    {
        using var solver = SgdSolverTests.InputSolver("base_lr: 0.1 lr_policy: \"fixed\" max_iter: 20 display: 5");
        var terminal = new StringWriter();
        var oldLog = Log.Writer;
        var oldVerbose = Log.Verbose;
        Log.Verbose = true;
        try
        {
            using (var live = LiveProgress.Attach(solver, "CPU", live: true, terminal, () => 200))
            {
                Assert.That(live, Is.Not.Null);
                solver.Step(10);
                var state = live!.State();
                Assert.That(state.Iter, Is.EqualTo(10));
                Assert.That(state.MaxIter, Is.EqualTo(20));
                Assert.That(state.BatchSize, Is.EqualTo(SgdSolverTests.N));
            }
            Assert.That(Log.Writer, Is.SameAs(oldLog), "the log writer is given back");
            Assert.That(LiveProgress.Attach(solver, "CPU", live: false, terminal), Is.Null, "no line off the terminal");
        }
        finally
        {
            Log.Writer = oldLog;
            Log.Verbose = oldVerbose;
        }
        var text = terminal.ToString();
        Assert.That(text, Does.Contain("\u001b[2K"), "the line is redrawn in place");
        Assert.That(text, Does.Contain("split CPU"));
        // The log line is written whole after the progress line is cleared (terminal order).
        var line = text.Split('\n').Single(l => l.Contains("] Iteration 5 ("));
        var afterClear = line[(line.LastIndexOf("\u001b[2K", StringComparison.Ordinal) + 4)..];
        Assert.That(afterClear, Does.Match(@"^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ Solver\.cs:\d+\] Iteration 5 \(.*\), loss = [0-9.]+$"));
        Assert.That(text.TrimEnd('\n'), Does.EndWith("\r\u001b[2K"), "the line is cleared when training ends");
    }
}
