// SchedulerCliTests: the scheduler through the `omnivore` program: `probe --solver` with
// a hand ratio prints the split and the predicted throughput, --compare prints the
// alone/together figures, `train --devices` trains with the split logged, and bad
// device lists (nothing can start, a ratio without devices) are one error line.
using Omnivore.Cli;
using Omnivore.Core;

namespace Omnivore.Tests.Scheduling;

[TestFixture]
[NonParallelizable]
public class SchedulerCliTests
{
    private string _dir = "", _solver = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("omnivore-sched-").FullName;
        var net = Path.Combine(_dir, "tiny.prototxt");
        File.WriteAllText(net, DataParallelTests.NetText);
        _solver = Path.Combine(_dir, "solver.prototxt");
        File.WriteAllText(_solver, $"net: \"{net}\" base_lr: 0.05 momentum: 0.9 lr_policy: \"fixed\" max_iter: 3 display: 1 solver_mode: CPU " +
                                   $"snapshot_prefix: \"{Path.Combine(_dir, "snap")}\" random_seed: 2");
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Log) Run(params string[] args)
    {
        var output = new StringWriter();
        var log = new StringWriter();
        var oldOut = Console.Out;
        var oldErr = Console.Error;
        var oldLog = Log.Writer;
        bool verbose = Log.Verbose;
        Console.SetOut(output);
        Console.SetError(log);
        Log.Writer = log;
        Log.Verbose = true;
        try
        {
            int code = Program.Main(args);
            return (code, output.ToString(), log.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            Log.Writer = oldLog;
            Log.Verbose = verbose;
        }
    }

    [Test]
    public void ProbeWithAHandRatio()
    {
        var r = Run("probe", "--solver", _solver, "--devices", "cpu:threads=1,cpu:threads=1", "--split-ratio", "3:1");
        Assert.That(r.Code, Is.EqualTo(0), r.Log);
        Assert.That(r.Out, Does.Contain("split: cpu0 8 + cpu1 2 of 10"));
        Assert.That(r.Out, Does.Contain("predicted combined:"));
    }

    [Test]
    public void ProbeCompare()
    {
        var cache = Path.Combine(_dir, "cache");
        var old = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", cache);
        try
        {
            var r = Run("probe", "--solver", _solver, "--devices", "cpu:threads=1,cpu:threads=1:slowdown=2",
                        "--probe-seconds", "0.2", "--compare", "--iterations", "1", "--repeat", "1");
            Assert.That(r.Code, Is.EqualTo(0), r.Log);
            Assert.That(r.Out, Does.Contain("images/s"));
            Assert.That(r.Out, Does.Contain("cpu1 alone").And.Contain("together (probe split)").And.Contain("together (alone-ratio split)"));
            Assert.That(r.Out, Does.Contain("sum of separate").And.Contain("probe split vs separate throughput shares"));
            Assert.That(File.Exists(Path.Combine(cache, "omnivore", "device-throughput.json")));
        }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", old); }
    }

    [Test]
    public void TrainWithTwoDevices()
    {
        var r = Run("train", "--solver", _solver, "--devices", "cpu:threads=1,cpu:threads=1", "--split-ratio", "1:1");
        Assert.That(r.Code, Is.EqualTo(0), r.Log);
        Assert.That(r.Log, Does.Contain("Scheduler: split cpu0 5 + cpu1 5 of 10"));
        Assert.That(r.Log, Does.Match(@"Iteration 2 \(.*loss = "));
        Assert.That(r.Log, Does.Contain("Optimization Done."));
        Assert.That(r.Log, Does.Match(@"Scheduler: \d+ steps(, fully connected layers on the master)?; cpu0 5 images, [0-9.e+-]+ ms per step \([0-9.e+-]+% of the phase\), cpu1 5 images"));
    }

    [Test]
    public void BadDeviceLists()
    {
        var none = Run("train", "--solver", _solver, "--devices", "gpu");
        Assert.That(none.Code, Is.EqualTo(1));
        Assert.That(none.Log, Does.Contain("omnivore: error: no device is left to train on"));
        Assert.That(none.Log, Does.Contain("gpu0").And.Contain("failed to start and is left out"));
        var ratio = Run("train", "--solver", _solver, "--split-ratio", "1:1");
        Assert.That(ratio.Code, Is.EqualTo(1));
        Assert.That(ratio.Log, Does.Contain("--split-ratio needs --devices"));
        var parts = Run("train", "--solver", _solver, "--devices", "cpu,cpu", "--split-ratio", "1:1:1");
        Assert.That(parts.Code, Is.EqualTo(1));
        Assert.That(parts.Log, Does.Contain("3 parts for 2 devices"));
    }
}
