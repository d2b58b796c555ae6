// ConvReluFusionTests: a Convolution followed at once by an in-place ReLU is fused (the
// convolution writes its output rectified, the ReLU's forward does nothing), and so is an
// in-place ReLU followed by a MAX pooling (the pooling's backward masks the gradient, the
// ReLU's backward does nothing); the net computes bit for bit what the same net computes
// with the ReLU out of place (not fused): loss, rectified output, and every gradient,
// under each convolution mode this CPU runs. Leaky ReLUs and ReLUs that do not directly
// follow the convolution (or precede the pooling), or whose pooling's top a later layer
// writes in place, are not fused.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Layers;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class ConvReluFusionTests
{
    /// <summary>Input, Convolution, a ReLU (its params, its top: "conv1" is in place), [MAX pooling,]
    /// InnerProduct, loss.</summary>
    internal static string NetText(string relu, string reluTop, string between = "", bool pool = false) => $$"""
        name: "fuse"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 3 dim: 4 dim: 9 dim: 8 } shape { dim: 3 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 14 kernel_size: 3 pad: 1 stride: 2
                                    weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" std: 0.2 } } }
        {{between}}
        layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "{{reluTop}}" {{relu}} }
        {{(pool ? $$"""layer { name: "pool" type: "Pooling" bottom: "{{reluTop}}" top: "pool" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }""" : "")}}
        layer { name: "ip" type: "InnerProduct" bottom: "{{(pool ? "pool" : reluTop)}}" top: "ip"
                inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    private static Net Build(string text, ConvEngine conv) =>
        new(TextFormat.Parse<NetParameter>(text, "fuse.prototxt"), CpuFixture.Device, new Rng(7), new NetState { Phase = Phase.Train },
            conv: conv);

    /// <summary>The same data and labels into any such net.</summary>
    internal static void Feed(Net net)
    {
        var data = net.Blob("data");
        var rng = new Random(11);
        data.UploadData(Enumerable.Range(0, (int)data.Count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray());
        net.Blob("label").UploadData([0f, 3f, 4f]);
    }

    private static IEnumerable<ConvMode> Modes() => [ConvMode.Packed, ConvMode.Batched, ConvMode.Caffe];

    private static IEnumerable<TestCaseData> Cases() =>
        Modes().SelectMany(m => new[] { new TestCaseData(m, false), new TestCaseData(m, true) });

    [TestCaseSource(nameof(Cases))]
    public void FusedNetComputesExactlyWhatTheUnfusedNetDoes(ConvMode mode, bool pool)
    {
        var device = CpuFixture.Device;
        if (!device.ConvSupports(mode)) Assert.Ignore($"this CPU does not run the {mode} convolution mode (the packed engine needs AVX-512 F, DQ, BW, VL)");
        using var conv = new ConvEngine(device, new ConvEngineOptions { Mode = mode, Partitions = mode == ConvMode.Caffe ? null : 2, CachePath = "" });
        using var fused = Build(NetText("", "conv1", pool: pool), conv);
        using var plain = Build(NetText("", "relu1", pool: pool), conv);
        Assert.That(((ConvolutionLayer)fused.Layer("conv1")).FusedRelu, Is.True);
        Assert.That(((ReluLayer)fused.Layer("relu1")).FusedIntoConvolution, Is.True);
        Assert.That(((ReluLayer)fused.Layer("relu1")).BackwardFusedIntoPooling, Is.EqualTo(pool));
        Assert.That(((ConvolutionLayer)plain.Layer("conv1")).FusedRelu, Is.False);
        if (pool) Assert.That(((PoolingLayer)plain.Layer("pool")).FusedReluBackward, Is.False);
        Feed(fused);
        Feed(plain);
        float lf = fused.Forward(), lp = plain.Forward();
        Assert.That(lf, Is.EqualTo(lp), "loss");
        Assert.That(fused.Blob("conv1").DownloadData(), Is.EqualTo(plain.Blob("relu1").DownloadData()), "rectified output");
        Assert.That(fused.Blob("conv1").DownloadData().Any(v => v == 0f) && fused.Blob("conv1").DownloadData().Any(v => v > 0f),
            "the case must have outputs on both sides of zero");
        fused.ClearParamDiffs();
        plain.ClearParamDiffs();
        fused.Backward();
        plain.Backward();
        var dx = fused.Blob("conv1").DownloadDiff();
        Assert.That(dx, Is.EqualTo(plain.Blob("conv1").DownloadDiff()), "the convolution's output gradient");
        Assert.That(dx.Any(v => v != 0f), "the case must pass some gradient");
        foreach (var name in new[] { "conv1", "ip" })
            for (int p = 0; p < 2; p++)
                Assert.That(fused.Layer(name).Params[p].DownloadDiff(), Is.EqualTo(plain.Layer(name).Params[p].DownloadDiff()), $"{name} param {p} diff");
    }

    [Test]
    public void ReluBeforeAnAveragePoolingOrWithALaterReaderKeepsItsBackward()
    {
        using var conv = new ConvEngine(CpuFixture.Device, new ConvEngineOptions { CachePath = "" });
        using (var ave = Build(NetText("", "conv1", pool: true).Replace("pool: MAX", "pool: AVE"), conv))
            Assert.That(((ReluLayer)ave.Layer("relu1")).BackwardFusedIntoPooling, Is.False);
        // A second reader of conv1 (its gradient would add to conv1's before the ReLU's backward): the pooling then
        // reads a Split layer's copy, and the ReLU keeps its backward.
        var text = NetText("", "conv1", pool: true).Replace("""layer { name: "loss" """,
            """layer { name: "ip2" type: "InnerProduct" bottom: "conv1" top: "ip2" inner_product_param { num_output: 5 } } layer { name: "loss" """);
        using var twice = Build(text, conv);
        Assert.That(((ReluLayer)twice.Layer("relu1")).BackwardFusedIntoPooling, Is.False);
        // A later layer writing the pooling's top in place: the CPU's fused backward reads the ReLU's output at
        // the windows' maxima from that top, so it must hold the pooled values still.
        var inPlace = NetText("", "conv1", pool: true).Replace("""layer { name: "ip" """,
            """layer { name: "halve" type: "Power" bottom: "pool" top: "pool" power_param { scale: 0.5 } } layer { name: "ip" """);
        using var overwritten = Build(inPlace, conv);
        Assert.That(((ReluLayer)overwritten.Layer("relu1")).BackwardFusedIntoPooling, Is.False);
        Assert.That(((PoolingLayer)overwritten.Layer("pool")).FusedReluBackward, Is.False);
    }

    [Test]
    public void LeakyReluIsNotFused()
    {
        using var conv = new ConvEngine(CpuFixture.Device, new ConvEngineOptions { CachePath = "" });
        using var net = Build(NetText("relu_param { negative_slope: 0.1 }", "conv1"), conv);
        Assert.That(((ConvolutionLayer)net.Layer("conv1")).FusedRelu, Is.False);
        Assert.That(((ReluLayer)net.Layer("relu1")).FusedIntoConvolution, Is.False);
    }

    [Test]
    public void ReluAfterAnotherLayerIsNotFused()
    {
        // A layer between reads conv1 before the ReLU: it must see the values unrectified.
        const string between = """layer { name: "scale" type: "Power" bottom: "conv1" top: "conv1" power_param { scale: 2 } }""";
        using var conv = new ConvEngine(CpuFixture.Device, new ConvEngineOptions { CachePath = "" });
        using var net = Build(NetText("", "conv1", between), conv);
        Assert.That(((ConvolutionLayer)net.Layer("conv1")).FusedRelu, Is.False);
        Assert.That(((ReluLayer)net.Layer("relu1")).FusedIntoConvolution, Is.False);
    }
}
