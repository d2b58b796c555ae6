// Tests for SolverFactory: loading solver files (legacy solver_type), building the train
// net and the test nets from net / net_param / train_net_param / test_net_param with
// their phases and test_state, seeding from random_seed, and the errors for a test_iter
// count that does not match the test nets, a missing net file and an unknown solver type;
// creation of every Caffe solver type by `type` and by the legacy `solver_type`.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class SolverFactoryTests
{
    private const string PhasedNet = """
        name: "phased"
        layer { name: "train_in" type: "Input" top: "data" top: "label" include { phase: TRAIN }
                input_param { shape { dim: 4 dim: 3 } shape { dim: 4 } } }
        layer { name: "test_in" type: "Input" top: "data" top: "label" include { phase: TEST }
                input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 2 weight_filler { type: "gaussian" std: 1 } } }
        layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" include { phase: TEST } }
        layer { name: "extra" type: "ReLU" bottom: "ip" top: "extra" include { stage: "extra" } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "omnivore-factory-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static SolverParameter Param(string text) => SgdSolverTests.Param(text);

    private static string Fields(string more) =>
        "base_lr: 0.01 lr_policy: \"fixed\" max_iter: 10 random_seed: 7 " + more;

    private string WriteNet()
    {
        var path = Path.Combine(_dir, "net.prototxt");
        File.WriteAllText(path, PhasedNet);
        return path;
    }

    [Test]
    public void GenericNetGivesTrainAndOneTestNetPerTestIter()
    {
        var p = Param(Fields("test_iter: 2 test_iter: 1 test_interval: 5 " +
                             "test_state { stage: \"extra\" } test_state { }"));
        p.Net = WriteNet();
        using var solver = SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt");
        Assert.That(solver, Is.InstanceOf<SgdSolver>());
        Assert.That(solver.Net.Phase, Is.EqualTo(Phase.Train));
        Assert.That(solver.Net.Source, Is.EqualTo(p.Net));
        Assert.That(solver.Net.Blob("data").Shape, Is.EqualTo(new[] { 4, 3 }));
        Assert.That(solver.Net.HasBlob("acc"), Is.False);
        Assert.That(solver.TestNets, Has.Count.EqualTo(2));
        Assert.That(solver.TestNets.Select(n => n.Phase), Has.All.EqualTo(Phase.Test));
        Assert.That(solver.TestNets[0].Blob("data").Shape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(solver.TestNets[0].HasBlob("extra"), Is.True, "test_state 0 has stage extra");
        Assert.That(solver.TestNets[1].HasBlob("extra"), Is.False);
        Assert.That(solver.TestNets[1].HasBlob("acc"), Is.True);
    }

    [Test]
    public void TrainStateSelectsStagesOfTheTrainNet()
    {
        var p = Param(Fields("train_state { stage: \"extra\" }"));
        p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        using var solver = SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt");
        Assert.That(solver.Net.HasBlob("extra"), Is.True);
        Assert.That(solver.Net.Phase, Is.EqualTo(Phase.Train), "train_state cannot change the phase");
        Assert.That(solver.TestNets, Is.Empty);
    }

    [Test]
    public void RandomSeedMakesRunsRepeatable()
    {
        float[] Weights(long seed)
        {
            var p = Param(Fields(""));
            p.RandomSeed = seed;
            p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
            using var s = SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt");
            return s.Net.Layer("ip").Params[0].DownloadData();
        }
        Assert.That(Weights(7), Is.EqualTo(Weights(7)));
        Assert.That(Weights(7), Is.Not.EqualTo(Weights(8)));
    }

    [Test]
    public void TestIterWithoutTestNetsIsAnError()
    {
        var p = Param(Fields("test_iter: 1"));
        p.TrainNetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "my_solver.prototxt"));
        Assert.That(e!.Message, Does.Contain("test_iter").And.Contain("my_solver.prototxt"));
    }

    [Test]
    public void TestNetsWithoutEnoughTestIterIsAnError()
    {
        var p = Param(Fields("test_iter: 1"));
        var net = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        p.TrainNetParam = net;
        p.TestNetParam.Add(net);
        p.TestNetParam.Add(net);
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "s.prototxt"));
        Assert.That(e!.Message, Does.Contain("2 test nets").And.Contain("1 test_iter"));
    }

    [Test]
    public void SolverConstructorChecksTestIterToo()
    {
        var p = Param(Fields("test_iter: 3"));
        var net = new Omnivore.Nets.Net(Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline"),
                                        CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        Assert.Throws<OmnivoreException>(() => new SgdSolver(p, net, []));
        net.Dispose();
    }

    [Test]
    public void MissingNetFileNamesThePath()
    {
        var p = Param(Fields(""));
        p.Net = Path.Combine(_dir, "no_such_net.prototxt");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt"));
        Assert.That(e!.Message, Does.Contain(p.Net));
    }

    [Test]
    public void MissingTestNetFileNamesThePath()
    {
        var p = Param(Fields("test_iter: 1"));
        p.TrainNet = WriteNet();
        p.TestNet.Add(Path.Combine(_dir, "missing_test.prototxt"));
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt"));
        Assert.That(e!.Message, Does.Contain("missing_test.prototxt"));
    }

    [Test]
    public void NoNetOrTwoNetsIsAnError()
    {
        var none = Param(Fields(""));
        Assert.That(Assert.Throws<OmnivoreException>(() => SolverFactory.Create(none, CpuFixture.Device, "s.prototxt"))!.Message,
                    Does.Contain("found 0"));
        var two = Param(Fields(""));
        two.Net = WriteNet();
        two.TrainNet = two.Net;
        Assert.That(Assert.Throws<OmnivoreException>(() => SolverFactory.Create(two, CpuFixture.Device, "s.prototxt"))!.Message,
                    Does.Contain("found 2"));
    }

    [Test]
    public void UnknownSolverTypeIsNamed()
    {
        var p = Param(Fields("type: \"LBFGS\""));
        p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "lbfgs_solver.prototxt"));
        Assert.That(e!.Message, Does.Contain("'LBFGS'").And.Contain("lbfgs_solver.prototxt"));
        foreach (var known in SolverFactory.KnownTypes) Assert.That(e.Message, Does.Contain(known));
    }

    [Test]
    public void KnownTypesAreCaffes()
    {
        Assert.That(SolverFactory.KnownTypes, Is.EqualTo(new[] { "SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam" }));
    }

    [TestCase("SGD", typeof(SgdSolver), 1)]
    [TestCase("Nesterov", typeof(NesterovSolver), 1)]
    [TestCase("AdaGrad", typeof(AdaGradSolver), 1)]
    [TestCase("RMSProp", typeof(RmsPropSolver), 1)]
    [TestCase("AdaDelta", typeof(AdaDeltaSolver), 2)]
    [TestCase("Adam", typeof(AdamSolver), 2)]
    public void EveryTypeIsCreatedByName(string type, Type expected, int slots)
    {
        var p = Param(Fields($"type: \"{type}\""));
        p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        using var solver = SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt");
        Assert.That(solver, Is.InstanceOf(expected));
        var family = (SgdFamilySolver)solver;
        Assert.That(family.Type, Is.EqualTo(type));
        Assert.That(family.HistorySlots, Is.EqualTo(slots));
        Assert.That(family.History.Length, Is.EqualTo(slots * solver.Net.Arena.Count));
    }

    [TestCase("NESTEROV", typeof(NesterovSolver))]
    [TestCase("ADAGRAD", typeof(AdaGradSolver))]
    [TestCase("RMSPROP", typeof(RmsPropSolver))]
    [TestCase("ADADELTA", typeof(AdaDeltaSolver))]
    [TestCase("ADAM", typeof(AdamSolver))]
    [TestCase("SGD", typeof(SgdSolver))]
    public void LegacySolverTypeSelectsTheSolver(string legacy, Type expected)
    {
        var path = Path.Combine(_dir, "legacy.prototxt");
        File.WriteAllText(path, Fields($"solver_type: {legacy}"));
        var p = SolverFactory.Load(path);
        Assert.That(p.HasSolverType, Is.False, "upgraded to type, as Caffe does");
        p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        using var solver = SolverFactory.Create(p, CpuFixture.Device, path);
        Assert.That(solver, Is.InstanceOf(expected));

        var direct = Param(Fields($"solver_type: {legacy}"));
        direct.NetParam = p.NetParam;
        using var created = SolverFactory.Create(direct, CpuFixture.Device, "direct.prototxt");
        Assert.That(created, Is.InstanceOf(expected), "Create upgrades a parameter that did not come through Load");
    }

    [Test]
    public void LegacySolverTypeAndTypeTogetherAreAnError()
    {
        var path = Path.Combine(_dir, "both.prototxt");
        File.WriteAllText(path, "base_lr: 0.01 solver_type: ADAM type: \"Adam\"");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Load(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("solver_type").And.Contain("type"));
    }

    [Test]
    public void CaffesConstraintsAreCheckedAtCreation()
    {
        var p = Param(Fields("type: \"AdaGrad\" momentum: 0.9"));
        p.NetParam = Omnivore.Model.TextFormat.Parse<NetParameter>(PhasedNet, "inline");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Create(p, CpuFixture.Device, "solver.prototxt"));
        Assert.That(e!.Message, Does.Contain("momentum cannot be used with AdaGrad"));
    }

    [Test]
    public void LoadMapsTheLegacySolverTypeAndDefaultsToSgd()
    {
        var legacy = Path.Combine(_dir, "legacy.prototxt");
        File.WriteAllText(legacy, "base_lr: 0.01 solver_type: ADAGRAD");
        Assert.That(SolverFactory.Load(legacy).Type, Is.EqualTo("AdaGrad"));
        var plain = Path.Combine(_dir, "plain.prototxt");
        File.WriteAllText(plain, "base_lr: 0.01 lr_policy: \"fixed\"");
        Assert.That(SolverFactory.Load(plain).Type, Is.EqualTo("SGD"));
        var missing = Path.Combine(_dir, "missing_solver.prototxt");
        Assert.That(Assert.Throws<OmnivoreException>(() => SolverFactory.Load(missing))!.Message, Does.Contain(missing));
    }

    [Test]
    public void ShippedLeNetSolverLoads()
    {
        var p = SolverFactory.Load(Path.Combine(TestPaths.RepoRoot, "examples", "mnist", "lenet_solver.prototxt"));
        Assert.That(p.LrPolicy, Is.EqualTo("inv"));
        Assert.That(p.BaseLr, Is.EqualTo(0.01f));
        Assert.That(p.TestIter, Is.EqualTo(new[] { 100 }));
        Assert.That(new LearningRatePolicy(p).Rate(100), Is.EqualTo(0.00992565).Within(1e-8));
    }
}
