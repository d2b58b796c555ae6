// SharedTrainValNetTests: Caffe's unmodified train/val nets and solvers (CIFAR-10 quick,
// CaffeNet) build and run here. Their LMDBs and mean files are not shipped, so the test
// makes small stand-ins at the paths the prototxts name, inside a temporary working
// directory (paths resolve against it, as in Caffe), then builds the nets, checks the
// shapes Caffe reports and trains CIFAR-10 quick for two iterations from its solver.
using Google.Protobuf;
using LightningDB;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
[NonParallelizable]
public class SharedTrainValNetTests
{
    private string _dir = "", _oldCwd = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("omnivore-trainval-").FullName;
        _oldCwd = Environment.CurrentDirectory;
        Environment.CurrentDirectory = _dir;
    }

    [TearDown]
    public void TearDown()
    {
        Environment.CurrentDirectory = _oldCwd;
        Directory.Delete(_dir, true);
    }

    private static void FakeLmdb(string path, int count, int c, int h, int w)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var env = Lmdb.CreateForWrite(path);
        using var txn = env.BeginTransaction();
        using var db = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        var rng = new Rng(count);
        for (int i = 0; i < count; i++)
        {
            var px = new byte[c * h * w];
            for (int k = 0; k < px.Length; k++) px[k] = (byte)rng.Next(256);
            var d = new Datum { Channels = c, Height = h, Width = w, Label = i % 10, Data = ByteString.CopyFrom(px) };
            txn.Put(db, System.Text.Encoding.ASCII.GetBytes($"{i:D8}"), d.ToByteArray());
        }
        txn.Commit();
    }

    private static void FakeMean(string path, int c, int h, int w)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var mean = new BlobProto { Num = 1, Channels = c, Height = h, Width = w };
        mean.Data.AddRange(Enumerable.Repeat(120f, c * h * w));
        File.WriteAllBytes(path, mean.ToByteArray());
    }

    private static void CopyShared(string shared, string relative)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(relative)!);
        File.Copy(Path.Combine(shared, relative), relative);
    }

    private static Dictionary<string, string> Shapes(Net net) =>
        net.Tops.SelectMany(t => t).DistinctBy(b => b.Name).ToDictionary(b => b.Name, b => string.Join(" ", b.Shape));

    [Test]
    public void Cifar10QuickTrainsTwoIterationsFromItsUnmodifiedSolver()
    {
        var shared = TestPaths.RequireSharedCaffe();
        CopyShared(shared, "examples/cifar10/cifar10_quick_solver.prototxt");
        CopyShared(shared, "examples/cifar10/cifar10_quick_train_test.prototxt");
        FakeLmdb("examples/cifar10/cifar10_train_lmdb", 120, 3, 32, 32);
        FakeLmdb("examples/cifar10/cifar10_test_lmdb", 100, 3, 32, 32);
        FakeMean("examples/cifar10/mean.binaryproto", 3, 32, 32);

        var param = SolverFactory.Load("examples/cifar10/cifar10_quick_solver.prototxt");
        param.MaxIter = 2;
        param.TestIter[0] = 1;
        param.TestInterval = 2;
        param.SnapshotAfterTrain = false;
        using var solver = SolverFactory.Create(param, CpuFixture.Device, "cifar10_quick_solver.prototxt");
        var train = Shapes(solver.Net);
        Assert.That(train["data"], Is.EqualTo("100 3 32 32"));
        Assert.That(train["conv1"], Is.EqualTo("100 32 32 32"));
        Assert.That(train["pool1"], Is.EqualTo("100 32 16 16"));
        Assert.That(train["pool3"], Is.EqualTo("100 64 4 4"));
        Assert.That(train["ip1"], Is.EqualTo("100 64"));
        Assert.That(train["ip2"], Is.EqualTo("100 10"));
        Assert.That(solver.TestNets, Has.Count.EqualTo(1));
        solver.Solve();
        Assert.That(solver.Iter, Is.EqualTo(2));
        Assert.That(float.IsFinite(solver.SmoothedLoss), Is.True);
        Assert.That(solver.LastTestScores.Select(s => s.Name), Is.EquivalentTo(new[] { "accuracy", "loss" }));
    }

    [Test]
    public void CaffeNetTrainValBuildsInTheTestPhaseWithCaffesShapes()
    {
        var shared = TestPaths.RequireSharedCaffe();
        CopyShared(shared, "models/bvlc_reference_caffenet/train_val.prototxt");
        FakeLmdb("examples/imagenet/ilsvrc12_val_lmdb", 3, 3, 256, 256);
        FakeMean("data/ilsvrc12/imagenet_mean.binaryproto", 3, 256, 256);
        var p = SolverFactory.LoadNet("models/bvlc_reference_caffenet/train_val.prototxt");
        using var net = new Net(p, CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Test });
        var s = Shapes(net);
        Assert.That(s["data"], Is.EqualTo("50 3 227 227"));
        Assert.That(s["conv1"], Is.EqualTo("50 96 55 55"));
        Assert.That(s["norm2"], Is.EqualTo("50 256 13 13"));
        Assert.That(s["pool5"], Is.EqualTo("50 256 6 6"));
        Assert.That(s["fc8"], Is.EqualTo("50 1000"));
        Assert.That(net.OutputBlobs.Select(b => b.Name), Is.EquivalentTo(new[] { "accuracy", "loss" }));
    }
}
