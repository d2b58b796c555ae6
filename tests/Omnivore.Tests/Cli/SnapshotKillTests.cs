// SnapshotKillTests: snapshots survive SIGKILL. The real `omnivore train` program,
// snapshotting every iteration, is killed with kill -9 at varied moments; every
// .caffemodel and .solverstate left behind loads (a killed writer leaves only a hidden
// temporary file, removed by the next run), and `--snapshot` resumes from the newest.
// A .solverstate cut short anywhere is refused with the file named, in one error line.
using System.Diagnostics;
using Google.Protobuf;
using Omnivore.Cli;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class SnapshotKillTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("omnivore-kill-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    internal static string? FindProgram() => new[] { "Release", "Debug" }
        .Select(c => Path.Combine(TestPaths.RepoRoot, "managed", "Omnivore.Cli", "bin", c, "net10.0", "omnivore"))
        .Where(File.Exists).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault();

    private string WriteSolver()
    {
        File.WriteAllText(Path.Combine(_dir, "net.prototxt"), """
            layer { name: "d" type: "DummyData" top: "data" top: "label"
                    dummy_data_param { shape { dim: 8 dim: 64 } shape { dim: 8 } data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 32 weight_filler { type: "xavier" } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """);
        var solver = Path.Combine(_dir, "solver.prototxt");
        File.WriteAllText(solver,
            $"net: \"{_dir}/net.prototxt\" base_lr: 0.01 momentum: 0.9 lr_policy: \"fixed\" max_iter: 100000000 display: 0 " +
            $"snapshot: 1 snapshot_prefix: \"{_dir}/run\" solver_mode: CPU random_seed: 1");
        return solver;
    }

    private static int IterOf(string file)
    {
        var name = Path.GetFileName(file);
        int at = name.IndexOf("_iter_", StringComparison.Ordinal) + 6;
        return int.Parse(name[at..name.IndexOf('.', at)]);
    }

    private string? Newest() => Directory.GetFiles(_dir, "run_iter_*.solverstate").OrderBy(IterOf).LastOrDefault();

    [Test]
    public void KilledRunsLeaveLoadableSnapshotsAndResumeFromTheNewest()
    {
        var exe = FindProgram();
        if (exe is null) Assert.Ignore("the omnivore program is not built");
        var solver = WriteSolver();
        int[] delaysMs = [0, 90, 230];
        int lastIter = 0;
        foreach (var delay in delaysMs)
        {
            var args = new List<string> { "train", "--solver", solver, "--threads", "1", "--no-probe" };
            if (Newest() is { } resume) args.AddRange(["--snapshot", resume]);
            var psi = new ProcessStartInfo(exe, args) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            p.ErrorDataReceived += (_, _) => { };
            p.OutputDataReceived += (_, _) => { };
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            // Wait for this run's first new snapshot, then kill it a little later.
            while (DateTime.UtcNow < deadline && !p.HasExited && (Newest() is not { } n || IterOf(n) <= lastIter)) Thread.Sleep(5);
            Thread.Sleep(delay);
            p.Kill(); // SIGKILL on Unix
            p.WaitForExit();
            Assert.That(Newest(), Is.Not.Null, "the run snapshotted before it was killed");
            Assert.That(IterOf(Newest()!), Is.GreaterThan(lastIter), "each run resumed and went further");
            lastIter = IterOf(Newest()!);
        }

        // Every snapshot present loads; killed writers left only hidden temporaries.
        var models = Directory.GetFiles(_dir, "run_iter_*.caffemodel");
        var states = Directory.GetFiles(_dir, "run_iter_*.solverstate");
        Assert.That(states.Length, Is.GreaterThanOrEqualTo(3));
        foreach (var m in models)
        {
            var net = NetParameter.Parser.ParseFrom(File.ReadAllBytes(m));
            Assert.That(net.Layer.Single(l => l.Name == "ip").Blobs, Has.Count.EqualTo(2), m);
        }
        foreach (var s in states)
        {
            var state = Solver.ParseState(File.ReadAllBytes(s), s);
            Assert.That(state.Iter, Is.EqualTo(IterOf(s)), s);
            Assert.That(state.History, Has.Count.EqualTo(2), s);
            Assert.That(File.Exists(Path.Combine(_dir, Path.GetFileName(state.LearnedNet))), Is.True, $"{s} names a model that exists");
        }

        // Resume from the newest once more and finish cleanly.
        var newest = Newest()!;
        int from = IterOf(newest);
        File.WriteAllText(solver, File.ReadAllText(solver).Replace("max_iter: 100000000", $"max_iter: {from + 3}"));
        var run = System.Diagnostics.Process.Start(new ProcessStartInfo(exe, ["train", "--solver", solver, "--snapshot", newest, "--threads", "1", "--no-probe"])
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = run.StandardError.ReadToEndAsync();
        Assert.That(run.WaitForExit(30_000), Is.True);
        Assert.That(run.ExitCode, Is.EqualTo(0), err.Result);
        Assert.That(err.Result, Does.Contain($"Restoring previous solver status from {newest}"));
        Assert.That(File.Exists(Path.Combine(_dir, $"run_iter_{from + 3}.caffemodel")), Is.True);
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty, "temporaries of killed runs are removed");
    }

    [Test]
    public void StaleTemporariesOfDeadWritersAreRemovedAndLiveOnesKept()
    {
        var dead = Path.Combine(_dir, ".run_iter_5.caffemodel.999999999.tmp");
        var live = Path.Combine(_dir, $".run_iter_6.caffemodel.{Environment.ProcessId}.tmp");
        var other = Path.Combine(_dir, ".other_iter_5.caffemodel.999999999.tmp");
        foreach (var f in new[] { dead, live, other }) File.WriteAllText(f, "half");
        Assert.That(AtomicFile.CleanStale(_dir, "run_iter_"), Is.EqualTo(1));
        Assert.That(File.Exists(dead), Is.False);
        Assert.That(File.Exists(live), Is.True);
        Assert.That(File.Exists(other), Is.True);
    }

    private static (int Code, string Error) RunCli(params string[] args) => CliInProcess.Run(args);

    [Test]
    public void EveryTruncationOfASolverstateIsRefusedNamingTheFile()
    {
        var solverPath = WriteSolver();
        var p = SolverFactory.Load(solverPath);
        p.MaxIter = 2;
        string stateFile;
        using (var s = SolverFactory.Create(p, CpuFixture.Device, solverPath))
        {
            s.Step(2);
            stateFile = s.Snapshot().State;
        }
        var bytes = File.ReadAllBytes(stateFile);
        var full = SolverState.Parser.ParseFrom(bytes);
        // A state cut right after its history, before current_step and Omnivore's fields,
        // is indistinguishable from a complete pre-2015 Caffe state; every other cut is refused.
        var caffeLike = new SolverState { Iter = full.Iter, LearnedNet = full.LearnedNet };
        caffeLike.History.AddRange(full.History);
        int ambiguous = caffeLike.CalculateSize();
        var cut = Path.Combine(_dir, "cut.solverstate");
        var rng = new Random(3);
        var lengths = Enumerable.Range(0, 40).Select(_ => rng.Next(bytes.Length))
            .Concat(Enumerable.Range(1, 40).Select(k => bytes.Length - k)).Where(n => n != ambiguous).Distinct();
        foreach (var n in lengths)
        {
            File.WriteAllBytes(cut, bytes[..n]);
            using var s = SolverFactory.Create(p, CpuFixture.Device, solverPath);
            var e = Assert.Throws<OmnivoreException>(() => s.Restore(cut), $"cut at {n} of {bytes.Length} bytes");
            Assert.That(e!.Message, Does.Contain(cut));
        }
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(cut, flipped);
        using (var s = SolverFactory.Create(p, CpuFixture.Device, solverPath))
            Assert.That(Assert.Throws<OmnivoreException>(() => s.Restore(cut))!.Message, Does.Contain(cut));

        File.WriteAllBytes(cut, bytes[..(bytes.Length - 5)]);
        var r = RunCli("train", "--solver", solverPath, "--snapshot", cut, "--no-probe");
        Assert.That(r.Code, Is.EqualTo(1));
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.Error);
        Assert.That(lines[0], Does.StartWith("omnivore: error: ").And.Contain(cut).And.Contain("truncated"));
    }
}
