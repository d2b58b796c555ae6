// Tests for TextFormat (the .prototxt parser): LeNet-like nets, solvers, every scalar
// type, enums, lists, escapes, comments, separators, Merge and ParseFile, and a sweep
// over the real Caffe files in shared/caffe when that folder is present.
// Error reporting is covered in TextFormatErrorTests.cs.
using Google.Protobuf;
using NUnit.Framework;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Tests.Model;

[TestFixture]
public class TextFormatTests
{
    internal const string LeNet = """
        name: "LeNet"  # a comment after a value
        # a whole-line comment
        layer {
          name: "mnist"
          type: "Data"
          top: "data"
          top: "label"
          include { phase: TRAIN }
          transform_param { scale: 0.00390625 }
          data_param { source: "examples/mnist/mnist_train_lmdb" batch_size: 64 backend: LMDB }
        }
        layer {
          name: "conv1"
          type: "Convolution"
          bottom: "data"
          top: "conv1"
          param { lr_mult: 1 }
          param { lr_mult: 2 decay_mult: 0 }
          convolution_param {
            num_output: 20
            kernel_size: 5
            stride: 1
            weight_filler { type: "xavier" variance_norm: FAN_IN }
            bias_filler { type: "constant" }
          }
        }
        layer {
          name: "pool1"
          type: "Pooling"
          bottom: "conv1"
          top: "pool1"
          pooling_param { pool: MAX kernel_size: 2 stride: 2 }
        }
        layer {
          name: "loss"
          type: "SoftmaxWithLoss"
          bottom: "pool1" bottom: "label"
          top: "loss"
          exclude { phase: TEST }
        }
        """;

    [Test]
    public void ParsesLeNetLikeNet()
    {
        var net = TextFormat.Parse<NetParameter>(LeNet, "lenet.prototxt");
        Assert.That(net.Name, Is.EqualTo("LeNet"));
        Assert.That(net.Layer, Has.Count.EqualTo(4));
        var data = net.Layer[0];
        Assert.That(data.Top, Is.EqualTo(new[] { "data", "label" }));
        Assert.That(data.Include[0].Phase, Is.EqualTo(Phase.Train));
        Assert.That(data.Include[0].HasPhase, Is.True);
        Assert.That(data.TransformParam.Scale, Is.EqualTo(0.00390625f));
        Assert.That(data.DataParam.BatchSize, Is.EqualTo(64u));
        Assert.That(data.DataParam.Backend, Is.EqualTo(DataParameter.Types.DB.Lmdb));
        var conv = net.Layer[1];
        Assert.That(conv.Param.Select(p => p.LrMult), Is.EqualTo(new[] { 1f, 2f }));
        Assert.That(conv.Param[1].DecayMult, Is.EqualTo(0f));
        Assert.That(conv.Param[0].HasDecayMult, Is.False);
        Assert.That(conv.ConvolutionParam.NumOutput, Is.EqualTo(20u));
        Assert.That(net.Layer[1].ConvolutionParam.KernelSize[0], Is.EqualTo(5u));
        Assert.That(conv.ConvolutionParam.Stride, Is.EqualTo(new[] { 1u }));
        Assert.That(conv.ConvolutionParam.WeightFiller.Type, Is.EqualTo("xavier"));
        Assert.That(conv.ConvolutionParam.WeightFiller.HasVarianceNorm, Is.True);
        Assert.That(conv.ConvolutionParam.BiasFiller.Type, Is.EqualTo("constant"));
        Assert.That(conv.ConvolutionParam.HasBiasTerm, Is.False, "unset fields stay unset");
        Assert.That(conv.ConvolutionParam.BiasTerm, Is.True, "and keep their proto default");
        Assert.That(net.Layer[2].PoolingParam.Pool, Is.EqualTo(PoolingParameter.Types.PoolMethod.Max));
        Assert.That(net.Layer[2].PoolingParam.HasPool, Is.True);
        Assert.That(net.Layer[2].PoolingParam.KernelSize, Is.EqualTo(2u));
        Assert.That(net.Layer[3].Bottom, Is.EqualTo(new[] { "pool1", "label" }));
        Assert.That(net.Layer[3].Exclude[0].Phase, Is.EqualTo(Phase.Test));
        Assert.That(net.Layer[3].ConvolutionParam, Is.Null, "absent messages stay absent");
    }

    [Test]
    public void ParsesSolver()
    {
        const string text = """
            net: "examples/mnist/lenet_train_test.prototxt"
            test_iter: 100
            test_interval: 500
            base_lr: 0.01
            momentum: 0.9
            weight_decay: 0.0005
            lr_policy: "inv"
            gamma: 0.0001
            power: 0.75
            stepvalue: 100 stepvalue: 200
            max_iter: 10000
            snapshot_prefix: "examples/mnist/lenet"
            solver_mode: GPU
            random_seed: 1701
            delta: 1e-8
            """;
        var solver = TextFormat.Parse<SolverParameter>(text, "lenet_solver.prototxt");
        Assert.That(solver.Net, Is.EqualTo("examples/mnist/lenet_train_test.prototxt"));
        Assert.That(solver.TestIter, Is.EqualTo(new[] { 100 }));
        Assert.That(solver.BaseLr, Is.EqualTo(0.01f));
        Assert.That(solver.WeightDecay, Is.EqualTo(0.0005f));
        Assert.That(solver.LrPolicy, Is.EqualTo("inv"));
        Assert.That(solver.Stepvalue, Is.EqualTo(new[] { 100, 200 }));
        Assert.That(solver.SolverMode, Is.EqualTo(SolverParameter.Types.SolverMode.Gpu));
        Assert.That(solver.HasSolverMode, Is.True);
        Assert.That(solver.RandomSeed, Is.EqualTo(1701L));
        Assert.That(solver.Delta, Is.EqualTo(1e-8f));
        Assert.That(solver.HasMomentum2, Is.False);
    }

    [Test]
    public void AllBlockAndSeparatorForms()
    {
        const string text = "layer: { name: 'a', type: 'T'; convolution_param < num_output: 3, pad: 1; > } ; " +
                            "layer < name: \"b\" >, layer{name:\"c\"}";
        var net = TextFormat.Parse<NetParameter>(text, "forms.prototxt");
        Assert.That(net.Layer.Select(l => l.Name), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(net.Layer[0].Type, Is.EqualTo("T"));
        Assert.That(net.Layer[0].ConvolutionParam.NumOutput, Is.EqualTo(3u));
        Assert.That(net.Layer[0].ConvolutionParam.Pad, Is.EqualTo(new[] { 1u }));
    }

    [Test]
    public void ListFormForRepeatedScalarsAndMessages()
    {
        const string text = """
            convolution_param { kernel_size: [3, 5] kernel_size: 7 stride: [] dilation: [ 2 ] }
            loss_weight: [1, 0.5, 1e-3]
            top: ["a", 'b']
            propagate_down: [true, f, 1]
            include: [{ phase: TRAIN }, < phase: TEST >]
            """;
        var layer = TextFormat.Parse<LayerParameter>(text, "list.prototxt");
        Assert.That(layer.ConvolutionParam.KernelSize, Is.EqualTo(new[] { 3u, 5u, 7u }));
        Assert.That(layer.ConvolutionParam.Stride, Is.Empty);
        Assert.That(layer.ConvolutionParam.Dilation, Is.EqualTo(new[] { 2u }));
        Assert.That(layer.LossWeight, Is.EqualTo(new[] { 1f, 0.5f, 1e-3f }));
        Assert.That(layer.Top, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(layer.PropagateDown, Is.EqualTo(new[] { true, false, true }));
        Assert.That(layer.Include.Select(r => r.Phase), Is.EqualTo(new[] { Phase.Train, Phase.Test }));
    }

    [Test]
    public void StringEscapesQuotesAndConcatenation()
    {
        var layer = TextFormat.Parse<LayerParameter>(
            @"name: ""a\tb\n\\\'\""\x41\101\u00e9\?"" type: 'it\'s ""quoted""' " +
            "bottom: \"foo\" 'bar' # comment between parts\n  \"baz\" top: \"h\u00e9llo\"", "esc.prototxt");
        Assert.That(layer.Name, Is.EqualTo("a\tb\n\\'\"AA\u00e9?"));
        Assert.That(layer.Type, Is.EqualTo("it's \"quoted\""));
        Assert.That(layer.Bottom, Is.EqualTo(new[] { "foobarbaz" }));
        Assert.That(layer.Top, Is.EqualTo(new[] { "h\u00e9llo" }));
    }

    [Test]
    public void BytesKeepRawEscapedBytes()
    {
        var datum = TextFormat.Parse<Datum>(@"data: ""\x00\377\xfe\n"" channels: 1", "datum.prototxt");
        Assert.That(datum.Data.ToByteArray(), Is.EqualTo(new byte[] { 0, 255, 0xfe, 10 }));
    }

    [Test]
    public void NumbersOfEveryForm()
    {
        var conv = TextFormat.Parse<ConvolutionParameter>(
            "num_output: 0x10 group: 010 kernel_h: 4294967295 axis: -3 kernel_size: 0", "n.prototxt");
        Assert.That(conv.NumOutput, Is.EqualTo(16u));
        Assert.That(conv.Group, Is.EqualTo(8u), "a leading 0 means octal, as in protobuf");
        Assert.That(conv.KernelH, Is.EqualTo(uint.MaxValue));
        Assert.That(conv.Axis, Is.EqualTo(-3));
        Assert.That(conv.KernelSize, Is.EqualTo(new[] { 0u }));

        var filler = TextFormat.Parse<FillerParameter>("value: .5 min: -inf max: inf mean: 1.5f std: 2e3 sparse: -2147483648",
            "f.prototxt");
        Assert.That(filler.Value, Is.EqualTo(0.5f));
        Assert.That(filler.Min, Is.EqualTo(float.NegativeInfinity));
        Assert.That(filler.Max, Is.EqualTo(float.PositiveInfinity));
        Assert.That(filler.Mean, Is.EqualTo(1.5f));
        Assert.That(filler.Std, Is.EqualTo(2000f));
        Assert.That(filler.Sparse, Is.EqualTo(int.MinValue));
        Assert.That(float.IsNaN(TextFormat.Parse<FillerParameter>("value: nan", "f").Value), Is.True);
        Assert.That(TextFormat.Parse<FillerParameter>("value: 5. min: -.25 max: 1E+2 mean: 0x10", "f").Value, Is.EqualTo(5f));

        var shape = TextFormat.Parse<BlobShape>("dim: -9223372036854775808 dim: 9223372036854775807 dim: 0", "s");
        Assert.That(shape.Dim, Is.EqualTo(new[] { long.MinValue, long.MaxValue, 0L }));
        var blob = TextFormat.Parse<BlobProto>("double_data: [1e-300, -2.5, 3, Infinity]", "b");
        Assert.That(blob.DoubleData, Is.EqualTo(new[] { 1e-300, -2.5, 3, double.PositiveInfinity }));
        var solver = TextFormat.Parse<SolverParameter>("random_seed: -1 base_lr: 1e-2", "s");
        Assert.That(solver.RandomSeed, Is.EqualTo(-1L));
        Assert.That(solver.BaseLr, Is.EqualTo(0.01f));
    }

    [TestCase("true", true)]
    [TestCase("True", true)]
    [TestCase("t", true)]
    [TestCase("1", true)]
    [TestCase("false", false)]
    [TestCase("False", false)]
    [TestCase("f", false)]
    [TestCase("0", false)]
    public void BoolForms(string text, bool expected)
    {
        var conv = TextFormat.Parse<ConvolutionParameter>("bias_term: " + text, "b.prototxt");
        Assert.That(conv.BiasTerm, Is.EqualTo(expected));
        Assert.That(conv.HasBiasTerm, Is.True);
    }

    [Test]
    public void EnumsByNameOrNumber()
    {
        Assert.That(TextFormat.Parse<PoolingParameter>("pool: 1", "e").Pool, Is.EqualTo(PoolingParameter.Types.PoolMethod.Ave));
        Assert.That(TextFormat.Parse<PoolingParameter>("pool: STOCHASTIC", "e").Pool,
            Is.EqualTo(PoolingParameter.Types.PoolMethod.Stochastic));
        Assert.That(TextFormat.Parse<FillerParameter>("variance_norm: FAN_OUT", "e").VarianceNorm,
            Is.EqualTo(FillerParameter.Types.VarianceNorm.FanOut));
        Assert.That(TextFormat.Parse<LossParameter>("normalization: NONE", "e").Normalization,
            Is.EqualTo(LossParameter.Types.NormalizationMode.None));
        Assert.That(TextFormat.Parse<NetState>("phase: TRAIN", "e").Phase, Is.EqualTo(Phase.Train));
    }

    [Test]
    public void EmptyTextCommentsOnlyAndCrLf()
    {
        Assert.That(TextFormat.Parse<NetParameter>("", "e.prototxt"), Is.EqualTo(new NetParameter()));
        Assert.That(TextFormat.Parse<NetParameter>("# only a comment", "e.prototxt"), Is.EqualTo(new NetParameter()));
        var net = TextFormat.Parse<NetParameter>("\uFEFFname: \"x\"\r\nlayer {\r\n name: \"y\" # c\r\n}\r\n", "crlf.prototxt");
        Assert.That(net.Layer[0].Name, Is.EqualTo("y"));
    }

    [Test]
    public void MergeAppendsRepeatedAndMergesMessages()
    {
        var net = TextFormat.Parse<NetParameter>("name: \"a\" layer { name: \"l1\" } state { level: 2 }", "m1");
        TextFormat.Merge(net, "name: \"b\" layer { name: \"l2\" } state { phase: TRAIN }", "m2");
        Assert.That(net.Name, Is.EqualTo("b"));
        Assert.That(net.Layer.Select(l => l.Name), Is.EqualTo(new[] { "l1", "l2" }));
        Assert.That(net.State.Level, Is.EqualTo(2));
        Assert.That(net.State.Phase, Is.EqualTo(Phase.Train));
    }

    [Test]
    public void ParsedMessageRoundTripsThroughBinary()
    {
        var net = TextFormat.Parse<NetParameter>(LeNet, "lenet.prototxt");
        var again = NetParameter.Parser.ParseFrom(net.ToByteArray());
        Assert.That(again, Is.EqualTo(net));
        Assert.That(again.Layer[1].ConvolutionParam.KernelSize[0], Is.EqualTo(5u));
    }

    [Test]
    public void ParseFileNamesThePathInErrors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "omnivore-textformat-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "good.prototxt"), bad = Path.Combine(dir, "bad.prototxt");
            File.WriteAllText(good, LeNet);
            File.WriteAllText(bad, "name: \"x\"\nlayre { }\n");
            Assert.That(TextFormat.ParseFile<NetParameter>(good).Layer, Has.Count.EqualTo(4));
            var ex = Assert.Throws<PrototxtException>(() => TextFormat.ParseFile<NetParameter>(bad))!;
            Assert.That(ex.FileName, Is.EqualTo(bad));
            Assert.That(ex.Message, Does.StartWith(bad + ":2:1: unknown field 'layre' in caffe.NetParameter"));
            Assert.That(ex.Message, Does.Contain("did you mean 'layer'?"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Test]
    public void ParsesEveryPrototxtInSharedCaffe()
    {
        string? root = FindSharedCaffe();
        if (root == null)
        {
            Assert.Ignore("no shared/caffe folder beside this checkout or any folder above the test directory");
            return;
        }
        var files = Directory.GetFiles(root, "*.prototxt", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal).ToList();
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                IMessage parsed = Path.GetFileName(file).Contains("solver", StringComparison.OrdinalIgnoreCase)
                    ? TextFormat.ParseFile<SolverParameter>(file)
                    : TextFormat.ParseFile<NetParameter>(file);
                TestContext.Out.WriteLine($"ok {file} ({parsed.CalculateSize()} bytes)");
            }
            catch (PrototxtException ex)
            {
                failures.Add(ex.Message);
            }
        }
        Assert.That(files, Is.Not.Empty, $"no .prototxt under {root}");
        Assert.That(failures, Is.Empty, string.Join("\n", failures));
    }

    private static string? FindSharedCaffe()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir != null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "caffe");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
