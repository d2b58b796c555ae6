// NetUpgradeTests: Caffe's upgrades of deprecated definitions. A hand-written V1 LeNet
// (`layers { type: CONVOLUTION blobs_lr: 1 ... }`) upgrades to exactly the NetParameter of
// the same net written in the current format, and both train identically with SGD (same
// seed: same losses and weights, bit for bit). Also: every V1 type string, param names /
// share modes / loss weights / include rules, the data_param -> transform_param move, net-
// level inputs, a .caffemodel saved with V1 layers, Caffe's log lines, the error for a net
// giving both `layer` and `layers`. (The solver_type upgrade: SolverUpgradeTests.)
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;
using V1Type = Omnivore.Model.Caffe.V1LayerParameter.Types.LayerType;

namespace Omnivore.Tests.Model;

[TestFixture]
public class NetUpgradeTests
{
    // Labels come from a uniform filler in [0, 9.9): the loss and accuracy layers truncate
    // them to the classes 0..9, so every batch has varied labels.
    private const string V1LeNet = """
        name: "LeNet"
        layers {
          name: "data" type: DUMMY_DATA top: "data" top: "label"
          dummy_data_param { shape { dim: 4 dim: 1 dim: 12 dim: 12 } shape { dim: 4 }
                             data_filler { type: "uniform" min: 0 max: 1 } data_filler { type: "uniform" min: 0 max: 9.9 } }
        }
        layers {
          name: "conv1" type: CONVOLUTION bottom: "data" top: "conv1"
          blobs_lr: 1 blobs_lr: 2
          convolution_param { num_output: 4 kernel_size: 3 stride: 1
                              weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layers { name: "pool1" type: POOLING bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layers {
          name: "conv2" type: CONVOLUTION bottom: "pool1" top: "conv2"
          blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0
          convolution_param { num_output: 6 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } }
        }
        layers { name: "norm2" type: LRN bottom: "conv2" top: "norm2"
                 lrn_param { local_size: 3 alpha: 0.1 beta: 0.75 norm_region: WITHIN_CHANNEL } }
        layers { name: "pool2" type: POOLING bottom: "norm2" top: "pool2" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
        layers {
          name: "ip1" type: INNER_PRODUCT bottom: "pool2" top: "ip1" blobs_lr: 1 blobs_lr: 2
          inner_product_param { num_output: 20 weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layers { name: "relu1" type: RELU bottom: "ip1" top: "ip1" }
        layers { name: "drop1" type: DROPOUT bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.2 } }
        layers {
          name: "ip2" type: INNER_PRODUCT bottom: "ip1" top: "ip2" blobs_lr: 1 blobs_lr: 2
          inner_product_param { num_output: 10 weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layers { name: "accuracy" type: ACCURACY bottom: "ip2" bottom: "label" top: "accuracy" include { phase: TEST } }
        layers { name: "loss" type: SOFTMAX_LOSS bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private const string CurrentLeNet = """
        name: "LeNet"
        layer {
          name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 4 dim: 1 dim: 12 dim: 12 } shape { dim: 4 }
                             data_filler { type: "uniform" min: 0 max: 1 } data_filler { type: "uniform" min: 0 max: 9.9 } }
        }
        layer {
          name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          param { lr_mult: 1 } param { lr_mult: 2 }
          convolution_param { num_output: 4 kernel_size: 3 stride: 1
                              weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer {
          name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
          param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
          convolution_param { num_output: 6 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } }
        }
        layer { name: "norm2" type: "LRN" bottom: "conv2" top: "norm2"
                lrn_param { local_size: 3 alpha: 0.1 beta: 0.75 norm_region: WITHIN_CHANNEL } }
        layer { name: "pool2" type: "Pooling" bottom: "norm2" top: "pool2" pooling_param { pool: AVE kernel_size: 2 stride: 2 } }
        layer {
          name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1" param { lr_mult: 1 } param { lr_mult: 2 }
          inner_product_param { num_output: 20 weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "drop1" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.2 } }
        layer {
          name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" param { lr_mult: 1 } param { lr_mult: 2 }
          inner_product_param { num_output: 10 weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        layer { name: "accuracy" type: "Accuracy" bottom: "ip2" bottom: "label" top: "accuracy" include { phase: TEST } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private static NetParameter Parse(string text) => TextFormat.Parse<NetParameter>(text, "net.prototxt");

    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "omnivore-upgrade-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static void AssertSameProto(NetParameter actual, NetParameter expected)
    {
        Assert.That(actual.ToString(), Is.EqualTo(expected.ToString()));
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(actual.ToByteArray(), Is.EqualTo(expected.ToByteArray()), "same fields present, same encoding");
    }

    [Test]
    public void V1LeNetUpgradesToTheCurrentFormatNet()
    {
        var v1 = Parse(V1LeNet);
        Assert.That(v1.Layers, Has.Count.EqualTo(12));
        Assert.That(NetUpgrade.NeedsV1Upgrade(v1), Is.True);
        var upgraded = NetUpgrade.UpgradeAsNeeded(v1, "lenet_v1.prototxt");
        Assert.That(upgraded.Layers, Is.Empty);
        AssertSameProto(upgraded, Parse(CurrentLeNet));
        Assert.That(v1.Layers, Has.Count.EqualTo(12), "the input is left as it was");
        var current = Parse(CurrentLeNet);
        Assert.That(NetUpgrade.UpgradeAsNeeded(current, "x"), Is.SameAs(current), "a current net is returned as is");
    }

    [Test]
    public void V1AndCurrentLeNetTrainIdentically()
    {
        const string solver = "base_lr: 0.05 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.001 max_iter: 10";
        using var a = NewSolver(Parse(V1LeNet), solver);
        using var b = NewSolver(Parse(CurrentLeNet), solver);
        Assert.That(a.Net.Param, Is.EqualTo(b.Net.Param), "the nets as built");
        var losses = new List<float>();
        for (int step = 0; step < 4; step++)
        {
            a.Step(1);
            b.Step(1);
            Assert.That(a.SmoothedLoss, Is.EqualTo(b.SmoothedLoss), $"loss at step {step}");
            losses.Add(a.SmoothedLoss);
            for (int l = 0; l < a.Net.Layers.Count; l++)
            for (int p = 0; p < a.Net.Layers[l].Params.Count; p++)
                Assert.That(a.Net.Layers[l].Params[p].DownloadData(), Is.EqualTo(b.Net.Layers[l].Params[p].DownloadData()),
                            $"{a.Net.Layers[l].Name} param {p} after step {step}");
        }
        Assert.That(losses, Has.All.Matches<float>(float.IsFinite));
        Assert.That(losses.Distinct().Count(), Is.GreaterThan(1), "training moves the loss");
    }

    private static SgdSolver NewSolver(NetParameter net, string solverText, long seed = 7)
    {
        var p = TextFormat.Parse<SolverParameter>(solverText, "solver.prototxt");
        p.RandomSeed = seed;
        return new SgdSolver(p, new Net(net, CpuFixture.Device, new Rng(seed), new NetState { Phase = Phase.Train }, "lenet"), []);
    }

    [Test]
    public void EveryV1TypeHasCaffesTypeString()
    {
        var expected = new Dictionary<V1Type, string>
        {
            [V1Type.None] = "", [V1Type.Absval] = "AbsVal", [V1Type.Accuracy] = "Accuracy", [V1Type.Argmax] = "ArgMax",
            [V1Type.Bnll] = "BNLL", [V1Type.Concat] = "Concat", [V1Type.ContrastiveLoss] = "ContrastiveLoss",
            [V1Type.Convolution] = "Convolution", [V1Type.Deconvolution] = "Deconvolution", [V1Type.Data] = "Data",
            [V1Type.Dropout] = "Dropout", [V1Type.DummyData] = "DummyData", [V1Type.EuclideanLoss] = "EuclideanLoss",
            [V1Type.Eltwise] = "Eltwise", [V1Type.Exp] = "Exp", [V1Type.Flatten] = "Flatten", [V1Type.Hdf5Data] = "HDF5Data",
            [V1Type.Hdf5Output] = "HDF5Output", [V1Type.HingeLoss] = "HingeLoss", [V1Type.Im2Col] = "Im2col",
            [V1Type.ImageData] = "ImageData", [V1Type.InfogainLoss] = "InfogainLoss", [V1Type.InnerProduct] = "InnerProduct",
            [V1Type.Lrn] = "LRN", [V1Type.MemoryData] = "MemoryData", [V1Type.MultinomialLogisticLoss] = "MultinomialLogisticLoss",
            [V1Type.Mvn] = "MVN", [V1Type.Pooling] = "Pooling", [V1Type.Power] = "Power", [V1Type.Relu] = "ReLU",
            [V1Type.Sigmoid] = "Sigmoid", [V1Type.SigmoidCrossEntropyLoss] = "SigmoidCrossEntropyLoss",
            [V1Type.Silence] = "Silence", [V1Type.Softmax] = "Softmax", [V1Type.SoftmaxLoss] = "SoftmaxWithLoss",
            [V1Type.Split] = "Split", [V1Type.Slice] = "Slice", [V1Type.Tanh] = "TanH", [V1Type.WindowData] = "WindowData",
            [V1Type.Threshold] = "Threshold",
        };
        Assert.That(expected.Keys, Is.EquivalentTo(Enum.GetValues<V1Type>()), "the table covers every V1 type");
        foreach (var (type, name) in expected) Assert.That(NetUpgrade.TypeName(type), Is.EqualTo(name), type.ToString());
        Assert.Throws<OmnivoreException>(() => NetUpgrade.TypeName((V1Type)999));
    }

    [Test]
    public void ParamNamesShareModesLossWeightsRulesAndBlobsCarryOver()
    {
        var v1 = Parse("""
            layers { name: "ip" type: INNER_PRODUCT bottom: "x" top: "y" top: "z"
                     param: "shared_w" param: "shared_b" blob_share_mode: PERMISSIVE blob_share_mode: STRICT
                     blobs_lr: 3 weight_decay: 0.5 weight_decay: 2 loss_weight: 0.5 loss_weight: 0
                     include { phase: TRAIN stage: "s" } exclude { not_stage: "t" min_level: 1 }
                     blobs { shape { dim: 2 } data: 1 data: 2 }
                     inner_product_param { num_output: 2 axis: 1 }
                     transform_param { scale: 2 } loss_param { ignore_label: 3 } }
            """);
        var expected = Parse("""
            layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" top: "z"
                    loss_weight: 0.5 loss_weight: 0
                    param { name: "shared_w" share_mode: PERMISSIVE lr_mult: 3 decay_mult: 0.5 }
                    param { name: "shared_b" share_mode: STRICT decay_mult: 2 }
                    blobs { shape { dim: 2 } data: 1 data: 2 }
                    include { phase: TRAIN stage: "s" } exclude { not_stage: "t" min_level: 1 }
                    transform_param { scale: 2 } loss_param { ignore_label: 3 }
                    inner_product_param { num_output: 2 axis: 1 } }
            """);
        AssertSameProto(NetUpgrade.UpgradeAsNeeded(v1, "v1"), expected);
    }

    [Test]
    public void DataTransformationFieldsMoveToTransformParam()
    {
        var v1 = Parse("""
            layers { name: "mnist" type: DATA top: "data" top: "label"
                     data_param { source: "db" backend: LMDB batch_size: 64 scale: 0.00390625 mean_file: "m.binaryproto" crop_size: 20 mirror: true } }
            layers { name: "img" type: IMAGE_DATA top: "i" top: "l"
                     image_data_param { source: "list.txt" scale: 2 mirror: false } }
            """);
        Assert.That(NetUpgrade.NeedsDataUpgrade(v1), Is.True);
        var expected = Parse("""
            layer { name: "mnist" type: "Data" top: "data" top: "label"
                    transform_param { scale: 0.00390625 mirror: true crop_size: 20 mean_file: "m.binaryproto" }
                    data_param { source: "db" backend: LMDB batch_size: 64 } }
            layer { name: "img" type: "ImageData" top: "i" top: "l"
                    transform_param { scale: 2 mirror: false }
                    image_data_param { source: "list.txt" } }
            """);
        AssertSameProto(NetUpgrade.UpgradeAsNeeded(v1, "v1"), expected);
    }

    [Test]
    public void NetLevelInputsOfAV1NetBecomeAnInputLayer()
    {
        var path = Path.Combine(_dir, "deploy_v1.prototxt");
        File.WriteAllText(path, """
            name: "deploy"
            input: "data"
            input_dim: 2 input_dim: 3 input_dim: 4 input_dim: 4
            layers { name: "relu" type: RELU bottom: "data" top: "out" }
            """);
        var p = SolverFactory.LoadNet(path);
        Assert.That(p.Input, Is.EqualTo(new[] { "data" }));
        using var net = new Net(p, CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Test }, path);
        Assert.That(net.Layers.Select(l => l.Type), Is.EqualTo(new[] { "Input", "ReLU" }));
        Assert.That(net.Blob("out").Shape, Is.EqualTo(new[] { 2, 3, 4, 4 }));
    }

    [Test]
    public void TheNetConstructorUpgradesToo()
    {
        using var net = new Net(Parse(V1LeNet), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Test }, "inline");
        Assert.That(net.Layers.Select(l => l.Type), Does.Contain("Accuracy").And.Contain("SoftmaxWithLoss").And.Contain("LRN"));
        Assert.That(net.Layer("conv2").Param.Param[1].DecayMult, Is.EqualTo(0f));
    }

    [Test]
    public void LoadingAV1FileLogsCaffesLines()
    {
        var path = Path.Combine(_dir, "lenet_v1.prototxt");
        File.WriteAllText(path, V1LeNet + "\nlayers { name: \"d2\" type: DATA data_param { scale: 0.5 } }");
        var (oldWriter, oldVerbose) = (Log.Writer, Log.Verbose);
        var sw = new StringWriter();
        try
        {
            Log.Writer = sw;
            Log.Verbose = true;
            var p = SolverFactory.LoadNet(path);
            Assert.That(p.Layer, Has.Count.EqualTo(13));
            Assert.That(p.Layer[12].TransformParam.Scale, Is.EqualTo(0.5f));
        }
        finally
        {
            Log.Writer = oldWriter;
            Log.Verbose = oldVerbose;
        }
        var log = sw.ToString();
        Assert.That(log, Does.Contain($"Attempting to upgrade input file specified using deprecated transformation parameters: {path}"));
        Assert.That(log, Does.Contain("Successfully upgraded file specified using deprecated data transformation parameters."));
        Assert.That(log, Does.Contain($"Attempting to upgrade input file specified using deprecated V1LayerParameter: {path}"));
        Assert.That(log, Does.Contain("Successfully upgraded file specified using deprecated V1LayerParameter"));
    }

    [Test]
    public void BothLayerAndLayersIsAnError()
    {
        var both = Parse("""
            layer { name: "a" type: "ReLU" bottom: "x" top: "y" }
            layers { name: "b" type: RELU bottom: "y" top: "z" }
            """);
        var e = Assert.Throws<OmnivoreException>(() => NetUpgrade.UpgradeAsNeeded(both, "mixed.prototxt"));
        Assert.That(e!.Message, Does.Contain("mixed.prototxt").And.Contain("'layer'").And.Contain("'layers'"));
        Assert.Throws<OmnivoreException>(() => new Net(both, CpuFixture.Device, new Rng(1), null, "mixed.prototxt"));
    }

    [Test]
    public void CaffemodelWithV1LayersLoadsIntoACurrentNet()
    {
        using var trained = new Net(Parse(CurrentLeNet), CpuFixture.Device, new Rng(3), new NetState { Phase = Phase.Train }, "a");
        var v1Types = new Dictionary<string, V1Type>
        {
            ["DummyData"] = V1Type.DummyData, ["Convolution"] = V1Type.Convolution, ["Pooling"] = V1Type.Pooling,
            ["LRN"] = V1Type.Lrn, ["InnerProduct"] = V1Type.InnerProduct, ["ReLU"] = V1Type.Relu,
            ["Dropout"] = V1Type.Dropout, ["SoftmaxWithLoss"] = V1Type.SoftmaxLoss,
        };
        var model = new NetParameter { Name = "LeNet" };
        foreach (var l in trained.ToProto().Layer)
        {
            var v1 = new V1LayerParameter { Name = l.Name, Type = v1Types[l.Type] };
            v1.Bottom.Add(l.Bottom);
            v1.Top.Add(l.Top);
            // Caffe's V1 snapshots wrote 4-D legacy blob dimensions.
            foreach (var b in l.Blobs)
            {
                var dims = b.Shape.Dim.Select(d => (int)d).ToList();
                while (dims.Count < 4) dims.Insert(0, 1);
                var legacy = new BlobProto { Num = dims[0], Channels = dims[1], Height = dims[2], Width = dims[3] };
                legacy.Data.Add(b.Data);
                v1.Blobs.Add(legacy);
            }
            model.Layers.Add(v1);
        }
        var path = Path.Combine(_dir, "lenet_v1.caffemodel");
        File.WriteAllBytes(path, model.ToByteArray());

        var read = Net.ReadCaffeModel(path);
        Assert.That(read.Layers, Is.Empty);
        Assert.That(read.Layer.Select(l => l.Type), Does.Contain("Convolution").And.Contain("InnerProduct"));
        using var fresh = new Net(Parse(CurrentLeNet), CpuFixture.Device, new Rng(99), new NetState { Phase = Phase.Train }, "b");
        Assert.That(fresh.Layer("conv1").Params[0].DownloadData(), Is.Not.EqualTo(trained.Layer("conv1").Params[0].DownloadData()));
        fresh.CopyTrainedLayersFrom(path);
        foreach (var name in new[] { "conv1", "conv2", "ip1", "ip2" })
            for (int i = 0; i < 2; i++)
                Assert.That(fresh.Layer(name).Params[i].DownloadData(), Is.EqualTo(trained.Layer(name).Params[i].DownloadData()), $"{name} param {i}");
    }
}
