// Tests for solver snapshots: training with `snapshot` writes <prefix>_iter_<N>.caffemodel
// and .solverstate (atomically: no temporary files left), Restore brings back the
// iteration, multistep's current step, the weights and the momentum history, so one more
// step from the restored solver equals one more step from the original; plus the errors
// for missing or corrupt state files and the lookup of the weights beside the state file.
using Google.Protobuf;
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class SolverSnapshotTests
{
    private const string Net = """
        name: "snap"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 3 dim: 4 } shape { dim: 3 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "uniform" } } }
        layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                param { lr_mult: 1 } param { lr_mult: 2 }
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "omnivore-snapshot-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private SgdSolver Create(long seed, string prefix = "snap")
    {
        var solver = SgdSolverTests.Solver(Net,
            "base_lr: 0.05 lr_policy: \"multistep\" gamma: 0.5 stepvalue: 2 stepvalue: 100 momentum: 0.9 " +
            "weight_decay: 0.005 max_iter: 100 snapshot: 3", seed);
        solver.Param.SnapshotPrefix = Path.Combine(_dir, prefix);
        solver.Net.Blob("data").UploadData(SgdSolverTests.X);
        solver.Net.Blob("label").UploadData(SgdSolverTests.Labels);
        return solver;
    }

    private static float[] Weights(Solver s) => s.Net.Arena.Owners.SelectMany(e => e.Blob.DownloadData()).ToArray();

    private static float[] History(SgdSolver s)
    {
        var h = new float[s.History.Length];
        CpuFixture.Device.Download(h, s.History);
        return h;
    }

    [Test]
    public void TrainingWritesBothFilesAtTheSnapshotInterval()
    {
        using var solver = Create(1);
        solver.Step(2);
        Assert.That(Directory.GetFiles(_dir), Is.Empty, "no snapshot before iteration 3");
        solver.Step(1);
        var model = Path.Combine(_dir, "snap_iter_3.caffemodel");
        var state = Path.Combine(_dir, "snap_iter_3.solverstate");
        Assert.That(Directory.GetFiles(_dir).Select(Path.GetFileName).Order(),
                    Is.EqualTo(new[] { "snap_iter_3.caffemodel", "snap_iter_3.solverstate" }), "no temporary files left");
        Assert.That(solver.SnapshotFileName(".caffemodel"), Is.EqualTo(model));

        var weights = NetParameter.Parser.ParseFrom(File.ReadAllBytes(model));
        Assert.That(weights.Layer.Single(l => l.Name == "ip2").Blobs[0].Data, Is.EqualTo(solver.Net.Layer("ip2").Params[0].DownloadData()));
        var saved = SolverState.Parser.ParseFrom(File.ReadAllBytes(state));
        Assert.That(saved.Iter, Is.EqualTo(3));
        Assert.That(saved.CurrentStep, Is.EqualTo(1));
        Assert.That(saved.LearnedNet, Is.EqualTo(model));
        Assert.That(saved.History, Has.Count.EqualTo(4));
        Assert.That(saved.History[0].Shape.Dim, Is.EqualTo(new long[] { 5, 4 }));
        Assert.That(saved.History.SelectMany(h => h.Data), Is.EqualTo(History(solver)));
        Assert.That(History(solver), Has.Some.Not.EqualTo(0f));
    }

    [Test]
    public void RestoredSolverContinuesExactlyLikeTheOriginal()
    {
        using var original = Create(1);
        original.Step(3);
        var state = Path.Combine(_dir, "snap_iter_3.solverstate");
        using var restored = Create(2, prefix: "other");
        Assert.That(Weights(restored), Is.Not.EqualTo(Weights(original)), "a different seed starts elsewhere");
        restored.Restore(state);
        Assert.That(restored.Iter, Is.EqualTo(3));
        Assert.That(restored.Policy.CurrentStep, Is.EqualTo(1));
        Assert.That(Weights(restored), Is.EqualTo(Weights(original)));
        Assert.That(History(restored), Is.EqualTo(History(original)));

        original.Step(1);
        restored.Step(1);
        Assert.That(restored.Iter, Is.EqualTo(4));
        Assert.That(Weights(restored), Is.EqualTo(Weights(original)).Within(1e-7));
        Assert.That(History(restored), Is.EqualTo(History(original)).Within(1e-7));
    }

    [Test]
    public void Hdf5SnapshotsRestoreExactlyLikeBinaryOnes()
    {
        using var original = Create(1);
        original.Param.SnapshotFormat = SolverParameter.Types.SnapshotFormat.Hdf5;
        original.Step(3);
        var state = Path.Combine(_dir, "snap_iter_3.solverstate.h5");
        Assert.That(File.Exists(state), Is.True);
        Assert.That(File.Exists(Path.Combine(_dir, "snap_iter_3.caffemodel.h5")), Is.True);
        Assert.That(Directory.GetFiles(_dir, "*.tmp"), Is.Empty);
        using var restored = Create(2, prefix: "other");
        restored.Restore(state);
        Assert.That(restored.Iter, Is.EqualTo(3));
        Assert.That(restored.Policy.CurrentStep, Is.EqualTo(1));
        Assert.That(Weights(restored), Is.EqualTo(Weights(original)));
        Assert.That(History(restored), Is.EqualTo(History(original)));
        using var fresh = Create(3, prefix: "fresh");
        fresh.Net.CopyTrainedLayersFrom(Path.Combine(_dir, "snap_iter_3.caffemodel.h5"));
        Assert.That(Weights(fresh), Is.EqualTo(Weights(original)));
    }

    [Test]
    public void ExplicitSnapshotReturnsThePathsOfTheCurrentIteration()
    {
        using var solver = Create(1);
        solver.Step(1);
        var (model, state) = solver.Snapshot();
        Assert.That(model, Is.EqualTo(Path.Combine(_dir, "snap_iter_1.caffemodel")));
        Assert.That(state, Is.EqualTo(Path.Combine(_dir, "snap_iter_1.solverstate")));
        Assert.That(File.Exists(model) && File.Exists(state), Is.True);
        Assert.That(Directory.GetFiles(_dir), Has.Length.EqualTo(2));
    }

    [Test]
    public void WeightsAreFoundBesideAMovedStateFile()
    {
        using (var original = Create(1)) original.Step(3);
        var moved = Directory.CreateDirectory(Path.Combine(_dir, "moved")).FullName;
        foreach (var f in Directory.GetFiles(_dir)) File.Move(f, Path.Combine(moved, Path.GetFileName(f)));
        using var restored = Create(2, prefix: "other");
        restored.Restore(Path.Combine(moved, "snap_iter_3.solverstate"));
        Assert.That(restored.Iter, Is.EqualTo(3));
        var model = NetParameter.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(moved, "snap_iter_3.caffemodel")));
        Assert.That(restored.Net.Layer("ip1").Params[0].DownloadData(), Is.EqualTo(model.Layer.Single(l => l.Name == "ip1").Blobs[0].Data));
    }

    [Test]
    public void MissingStateFileNamesThePath()
    {
        using var solver = Create(1);
        var path = Path.Combine(_dir, "none.solverstate");
        var e = Assert.Throws<OmnivoreException>(() => solver.Restore(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void TruncatedStateFileNamesThePath()
    {
        using (var original = Create(1)) original.Step(3);
        var path = Path.Combine(_dir, "snap_iter_3.solverstate");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
        using var solver = Create(2);
        var e = Assert.Throws<OmnivoreException>(() => solver.Restore(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void HistoryOfAnotherNetIsRejected()
    {
        using var solver = Create(1);
        var state = new SolverState { Iter = 5 };
        state.History.Add(new BlobProto { Data = { 1f, 2f } });
        var path = Path.Combine(_dir, "foreign.solverstate");
        File.WriteAllBytes(path, state.ToByteArray());
        var e = Assert.Throws<OmnivoreException>(() => solver.Restore(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("history"));
    }

    [Test]
    public void SnapshotNeedsAPrefix()
    {
        using var solver = Create(1);
        solver.Param.ClearSnapshotPrefix();
        Assert.Throws<OmnivoreException>(() => solver.Snapshot());
    }
}
