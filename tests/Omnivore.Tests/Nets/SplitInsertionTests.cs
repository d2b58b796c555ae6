// Tests for SplitInsertion (Caffe's InsertSplits): a blob read by several layers gets a
// Split layer named "<blob>_<layer>_<top>_split" with tops "..._split_<k>", readers are
// rewired in order, in-place chains split after the last in-place writer, loss tops that
// are also read keep their loss on the first copy, and gradients from both readers add up.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class SplitInsertionTests
{
    private static NetParameter Parse(string text) => TextFormat.Parse<NetParameter>(text, "split.prototxt");

    private static LayerParameter Named(NetParameter p, string name) => p.Layer.Single(l => l.Name == name);

    [Test]
    public void NamesFollowCaffe()
    {
        Assert.That(SplitInsertion.SplitLayerName("conv1", "data", 0), Is.EqualTo("data_conv1_0_split"));
        Assert.That(SplitInsertion.SplitBlobName("conv1", "data", 1, 2), Is.EqualTo("data_conv1_1_split_2"));
    }

    [Test]
    public void BlobReadByTwoLayersGetsASplit()
    {
        var net = Parse("""
            layer { name: "in" type: "Input" top: "data" }
            layer { name: "a" type: "ReLU" bottom: "data" top: "a" }
            layer { name: "b" type: "ReLU" bottom: "data" top: "b" }
            """);
        var result = SplitInsertion.Insert(net);
        Assert.That(result.Layer.Select(l => l.Name), Is.EqualTo(new[] { "in", "data_in_0_split", "a", "b" }));
        var split = Named(result, "data_in_0_split");
        Assert.That(split.Type, Is.EqualTo("Split"));
        Assert.That(split.Bottom, Is.EqualTo(new[] { "data" }));
        Assert.That(split.Top, Is.EqualTo(new[] { "data_in_0_split_0", "data_in_0_split_1" }));
        Assert.That(split.LossWeight, Is.Empty);
        Assert.That(Named(result, "a").Bottom, Is.EqualTo(new[] { "data_in_0_split_0" }));
        Assert.That(Named(result, "b").Bottom, Is.EqualTo(new[] { "data_in_0_split_1" }));
        Assert.That(Named(result, "in").Top, Is.EqualTo(new[] { "data" }));
        Assert.That(Named(net, "a").Bottom, Is.EqualTo(new[] { "data" }), "the input net is not modified");
    }

    [Test]
    public void SplitNameCarriesTheTopIndexAndThreeReadersGetThreeCopies()
    {
        var net = Parse("""
            layer { name: "src" type: "Input" top: "x" top: "y" }
            layer { name: "a" type: "ReLU" bottom: "y" top: "a" }
            layer { name: "b" type: "ReLU" bottom: "x" top: "b" }
            layer { name: "c" type: "Accuracy" bottom: "y" bottom: "y" top: "c" }
            """);
        var result = SplitInsertion.Insert(net);
        Assert.That(result.Layer.Select(l => l.Name), Is.EqualTo(new[] { "src", "y_src_1_split", "a", "b", "c" }));
        Assert.That(Named(result, "y_src_1_split").Top,
                    Is.EqualTo(new[] { "y_src_1_split_0", "y_src_1_split_1", "y_src_1_split_2" }));
        Assert.That(Named(result, "a").Bottom, Is.EqualTo(new[] { "y_src_1_split_0" }));
        Assert.That(Named(result, "b").Bottom, Is.EqualTo(new[] { "x" }), "x is read once");
        Assert.That(Named(result, "c").Bottom, Is.EqualTo(new[] { "y_src_1_split_1", "y_src_1_split_2" }));
    }

    [Test]
    public void NoSplitWhenEveryBlobIsReadOnce()
    {
        var net = Parse("""
            layer { name: "in" type: "Input" top: "data" }
            layer { name: "a" type: "ReLU" bottom: "data" top: "a" }
            layer { name: "b" type: "ReLU" bottom: "a" top: "b" }
            """);
        var result = SplitInsertion.Insert(net);
        Assert.That(result.Layer.Select(l => l.Name), Is.EqualTo(new[] { "in", "a", "b" }));
        Assert.That(result.Layer.Any(l => l.Type == "Split"), Is.False);
    }

    [Test]
    public void InPlaceChainSplitsAfterTheLastInPlaceWriter()
    {
        var net = Parse("""
            layer { name: "in" type: "Input" top: "data" }
            layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" }
            layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
            layer { name: "a" type: "ReLU" bottom: "ip" top: "a" }
            layer { name: "b" type: "ReLU" bottom: "ip" top: "b" }
            """);
        var result = SplitInsertion.Insert(net);
        Assert.That(result.Layer.Select(l => l.Name), Is.EqualTo(new[] { "in", "ip", "relu", "ip_relu_0_split", "a", "b" }));
        Assert.That(Named(result, "relu").Bottom, Is.EqualTo(new[] { "ip" }), "the in-place layer is the only reader of ip's output");
        Assert.That(Named(result, "relu").Top, Is.EqualTo(new[] { "ip" }));
        Assert.That(Named(result, "ip_relu_0_split").Bottom, Is.EqualTo(new[] { "ip" }));
        Assert.That(Named(result, "a").Bottom, Is.EqualTo(new[] { "ip_relu_0_split_0" }));
        Assert.That(Named(result, "b").Bottom, Is.EqualTo(new[] { "ip_relu_0_split_1" }));
    }

    [Test]
    public void LossTopThatIsAlsoReadKeepsItsLossOnTheFirstCopy()
    {
        var net = Parse("""
            layer { name: "in" type: "Input" top: "data" }
            layer { name: "l" type: "ReLU" bottom: "data" top: "out" loss_weight: 0.5 }
            layer { name: "r" type: "ReLU" bottom: "out" top: "r" }
            """);
        var result = SplitInsertion.Insert(net);
        Assert.That(result.Layer.Select(l => l.Name), Is.EqualTo(new[] { "in", "l", "out_l_0_split", "r" }));
        var split = Named(result, "out_l_0_split");
        Assert.That(split.Top, Is.EqualTo(new[] { "out_l_0_split_0", "out_l_0_split_1" }));
        Assert.That(split.LossWeight, Is.EqualTo(new[] { 0.5f, 0f }));
        Assert.That(Named(result, "l").LossWeight.All(w => w == 0), Is.True, "the loss moved to the split");
        Assert.That(Named(result, "r").Bottom, Is.EqualTo(new[] { "out_l_0_split_1" }));
    }

    private const string TwoLossNet = """
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss_a" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss_a" }
        """;

    [Test]
    public void SplitSumsTheGradientsOfBothReaders()
    {
        // Two identical losses on one blob must give the gradient of one loss with weight 2.
        var twice = TextFormat.Parse<NetParameter>(TwoLossNet +
            "\nlayer { name: \"loss_b\" type: \"SoftmaxWithLoss\" bottom: \"ip\" bottom: \"label\" top: \"loss_b\" }", "two.prototxt");
        var weighted = TextFormat.Parse<NetParameter>(TwoLossNet.Replace("top: \"loss_a\"", "top: \"loss_a\" loss_weight: 2"), "one.prototxt");
        var state = new NetState { Phase = Phase.Train };
        using var a = new Net(twice, CpuFixture.Device, new Rng(5), state);
        using var b = new Net(weighted, CpuFixture.Device, new Rng(5), state);
        Assert.That(a.Layers.Select(l => l.Name), Has.Member("ip_ip_0_split").And.Member("label_in_1_split"));
        float[] x = [0.5f, -1f, 2f, 1f, 0f, -0.5f], labels = [2, 0];
        foreach (var n in new[] { a, b })
        {
            n.Blob("data").UploadData(x);
            n.Blob("label").UploadData(labels);
            n.ClearParamDiffs();
        }
        float lossA = a.ForwardBackward(), lossB = b.ForwardBackward();
        Assert.That(lossA, Is.EqualTo(lossB).Within(1e-5));
        Assert.That(lossA, Is.GreaterThan(0));
        var gradA = a.Layer("ip").Params[0].DownloadDiff();
        var gradB = b.Layer("ip").Params[0].DownloadDiff();
        Assert.That(gradA.Any(g => Math.Abs(g) > 1e-4), Is.True);
        Assert.That(gradA, Is.EqualTo(gradB).Within(1e-5));
    }
}
