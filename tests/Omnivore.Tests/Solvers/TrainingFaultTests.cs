// TrainingFaultTests: what a long run meets. A NaN loss stops training with the
// iteration and the first bad layer named and the last good weights saved; signal
// effects act as Caffe's --sigint_effect/--sighup_effect (stop, snapshot, none; a second
// stop ends at once); and a real SIGINT sent to a training process snapshots and exits 0.
using System.Diagnostics;
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class TrainingFaultTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("omnivore-faults-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private const string Net = """
        name: "faulty"
        layer { name: "in" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
        layer { name: "log" type: "Log" bottom: "data" top: "logged" }
        layer { name: "ip" type: "InnerProduct" bottom: "logged" top: "ip" inner_product_param { num_output: 2 weight_filler { type: "gaussian" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    private SgdSolver Create(float[] data)
    {
        var s = SgdSolverTests.Solver(Net, "base_lr: 0.1 lr_policy: \"fixed\" max_iter: 10", 3);
        s.Param.SnapshotPrefix = Path.Combine(_dir, "faulty");
        s.Net.Blob("data").UploadData(data);
        s.Net.Blob("label").UploadData([0, 1]);
        return s;
    }

    [Test]
    public void NanLossStopsWithLayerAndIterationAndSavesTheLastGoodWeights()
    {
        using var solver = Create([1, 2, 3, 4, 5, 6]);
        solver.Step(2);
        solver.Net.Blob("data").UploadData([1, -2, 3, 4, 5, 6]); // log of a negative number
        var before = solver.Net.Layer("ip").Params[0].DownloadData();
        var e = Assert.Throws<OmnivoreException>(() => solver.Step(1));
        Assert.That(e!.Message, Does.Contain("iteration 2").And.Contain("layer 'log'").And.Contain("nan"));
        var model = Path.Combine(_dir, "faulty_iter_2.caffemodel");
        Assert.That(e.Message, Does.Contain(model));
        Assert.That(solver.Net.Layer("ip").Params[0].DownloadData(), Is.EqualTo(before), "no update was applied");
        using var check = Create([1, 2, 3, 4, 5, 6]);
        check.Net.CopyTrainedLayersFrom(model);
        Assert.That(check.Net.Layer("ip").Params[0].DownloadData(), Is.EqualTo(before));
    }

    [Test]
    public void SignalEffectsFollowCaffe()
    {
        using var solver = Create([1, 2, 3, 4, 5, 6]);
        Assert.That(TrainSignals.Apply(solver, SignalEffect.None, "SIGHUP"), Is.True);
        Assert.That(TrainSignals.Apply(solver, SignalEffect.Snapshot, "SIGHUP"), Is.True);
        solver.Step(1);
        Assert.That(File.Exists(Path.Combine(_dir, "faulty_iter_1.caffemodel")), Is.True, "snapshot after the iteration");
        solver.Step(1);
        Assert.That(File.Exists(Path.Combine(_dir, "faulty_iter_2.caffemodel")), Is.False, "only once");
        Assert.That(solver.StopRequested, Is.False);
        Assert.That(TrainSignals.Apply(solver, SignalEffect.Stop, "SIGINT"), Is.True);
        Assert.That(solver.StopRequested, Is.True);
        Assert.That(TrainSignals.Apply(solver, SignalEffect.Stop, "SIGINT"), Is.False, "a second stop ends at once");
        solver.Solve();
        Assert.That(solver.Iter, Is.EqualTo(2), "stopped before another iteration");
        Assert.That(File.Exists(Path.Combine(_dir, "faulty_iter_2.caffemodel")), Is.True, "snapshot on stop");
        Assert.Throws<OmnivoreException>(() => TrainSignals.Parse("later", "--sigint_effect"));
    }

    [Test]
    public void StopOnAnIterationThatIsASnapshotMultipleStillSnapshots()
    {
        using var solver = Create([1, 2, 3, 4, 5, 6]);
        solver.Param.Snapshot = 2;
        solver.Param.Display = 1;
        solver.Displayed += p => { if (p.Iter == 1) solver.RequestStop(); };
        solver.Solve();
        Assert.That(solver.Iter, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(_dir, "faulty_iter_2.caffemodel")), Is.True);
        Assert.That(File.Exists(Path.Combine(_dir, "faulty_iter_2.solverstate")), Is.True);
    }

    [Test]
    public void MissingSnapshotPrefixDefaultsToTheSolverPathAsCaffe()
    {
        var file = Path.Combine(_dir, "my_solver.prototxt");
        File.WriteAllText(file, "net: \"n.prototxt\" base_lr: 0.1 lr_policy: \"fixed\"");
        Assert.That(SolverFactory.Load(file).SnapshotPrefix, Is.EqualTo(Path.Combine(_dir, "my_solver")));
        File.WriteAllText(file, $"net: \"n.prototxt\" base_lr: 0.1 lr_policy: \"fixed\" snapshot_prefix: \"{_dir}\"");
        Assert.That(SolverFactory.Load(file).SnapshotPrefix, Is.EqualTo(Path.Combine(_dir, "my_solver")), "a directory gets the solver's name");
    }

    [Test]
    public void SigintToATrainingProcessSnapshotsAndExitsCleanly()
    {
        var exe = new[] { "Release", "Debug" }
            .Select(c => Path.Combine(TestPaths.RepoRoot, "managed", "Omnivore.Cli", "bin", c, "net10.0", "omnivore"))
            .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();
        if (exe is null) Assert.Ignore("the omnivore program is not built");
        File.WriteAllText(Path.Combine(_dir, "net.prototxt"), """
            layer { name: "d" type: "DummyData" top: "data" top: "label"
                    dummy_data_param { shape { dim: 8 dim: 16 } shape { dim: 8 } data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """);
        File.WriteAllText(Path.Combine(_dir, "solver.prototxt"),
            $"net: \"{_dir}/net.prototxt\" base_lr: 0.01 lr_policy: \"fixed\" max_iter: 100000000 display: 0 " +
            $"snapshot_prefix: \"{_dir}/run\" solver_mode: CPU random_seed: 1");
        var psi = new ProcessStartInfo(exe, ["train", "--solver", Path.Combine(_dir, "solver.prototxt"), "--threads", "1"])
            { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var err = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, a) => { lock (err) err.AppendLine(a.Data); };
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !ErrText().Contains("Solving")) Thread.Sleep(50);
        Thread.Sleep(300);
        using (var kill = Process.Start("kill", ["-INT", p.Id.ToString()])) kill!.WaitForExit();
        Assert.That(p.WaitForExit(60_000), Is.True, "the process ends after SIGINT");
        Assert.That(p.ExitCode, Is.EqualTo(0), ErrText());
        Assert.That(ErrText(), Does.Contain("stopped early"));
        Assert.That(Directory.GetFiles(_dir, "run_iter_*.caffemodel"), Has.Length.EqualTo(1));
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty);

        string ErrText() { lock (err) return err.ToString(); }
    }
}
