// Tests for Net construction on small nets written as prototxt text: blob shapes,
// in-place layers, output blobs, legacy net-level inputs, wiring errors (unknown blob,
// duplicate layer name), which layers run backward (Accuracy, lr_mult 0), loss_weight,
// and the contiguous parameter arena with shared parameters. Weights files are in
// NetWeightsTests.cs.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class NetTests
{
    internal static Net Build(string text, Phase phase = Phase.Train, long seed = 1) =>
        new(TextFormat.Parse<NetParameter>(text, "net.prototxt"), CpuFixture.Device, new Rng(seed), new NetState { Phase = phase });

    private const string Classifier = """
        name: "tiny"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 2 dim: 3 dim: 2 dim: 2 } shape { dim: 2 } } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "acc" type: "Accuracy" bottom: "ip2" bottom: "label" top: "acc" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private static int Index(Net net, string layer) => net.Layers.ToList().FindIndex(l => l.Name == layer);

    [Test]
    public void BlobShapesFollowTheLayers()
    {
        using var net = Build(Classifier);
        Assert.That(net.Name, Is.EqualTo("tiny"));
        Assert.That(net.Blob("data").Shape, Is.EqualTo(new[] { 2, 3, 2, 2 }));
        Assert.That(net.Blob("label").Shape, Is.EqualTo(new[] { 2 }));
        Assert.That(net.Blob("ip1").Shape, Is.EqualTo(new[] { 2, 5 }));
        Assert.That(net.Blob("ip2").Shape, Is.EqualTo(new[] { 2, 4 }));
        Assert.That(net.Blob("loss").Count, Is.EqualTo(1));
        Assert.That(net.Layer("ip1").Params.Select(p => p.Shape.ToArray()), Is.EqualTo(new[] { new[] { 5, 12 }, new[] { 5 } }));
        Assert.That(net.HasBlob("nope"), Is.False);
        var e = Assert.Throws<OmnivoreException>(() => net.Blob("nope"));
        Assert.That(e!.Message, Does.Contain("nope"));
    }

    [Test]
    public void InPlaceLayerSharesItsBlob()
    {
        using var net = Build(Classifier);
        int relu = Index(net, "relu1"), ip1 = Index(net, "ip1");
        Assert.That(net.Tops[relu][0], Is.SameAs(net.Bottoms[relu][0]));
        Assert.That(net.Tops[relu][0], Is.SameAs(net.Tops[ip1][0]));
        Assert.That(net.Blob("ip1"), Is.SameAs(net.Tops[ip1][0]));
        Assert.That(net.AllBlobs.Count(b => b.Name == "ip1"), Is.EqualTo(1));
        // In-place really computes in place: negative inner products are gone after forward.
        net.Blob("data").UploadData(Enumerable.Range(0, 24).Select(i => (i % 5) - 2f).ToArray());
        net.Forward();
        Assert.That(net.Blob("ip1").DownloadData(), Has.All.GreaterThanOrEqualTo(0f));
    }

    [Test]
    public void OutputBlobsAreTheBlobsNothingReads()
    {
        using var net = Build(Classifier);
        Assert.That(net.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "acc", "loss" }));
        Assert.That(net.LossWeightOf(net.Blob("loss")), Is.EqualTo(1f));
        Assert.That(net.LossWeightOf(net.Blob("acc")), Is.EqualTo(0f));
    }

    [Test]
    public void LegacyInputDimBecomesAnInputLayer()
    {
        using var net = Build("""
            name: "legacy"
            input: "data"
            input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4
            layer { name: "relu" type: "ReLU" bottom: "data" top: "out" }
            """, Phase.Test);
        Assert.That(net.Layers[0].Type, Is.EqualTo("Input"));
        Assert.That(net.Blob("data").Shape, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(net.Blob("out").Shape, Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void UnknownBottomNamesTheLayerAndTheBlob()
    {
        var e = Assert.Throws<OmnivoreException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "reader" type: "ReLU" bottom: "missing_blob" top: "r" }
            """));
        Assert.That(e!.Message, Does.Contain("'reader'").And.Contain("'missing_blob'"));
    }

    [Test]
    public void BlobProducedOnlyInTheOtherPhaseIsUnknown()
    {
        var e = Assert.Throws<OmnivoreException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" include { phase: TRAIN } input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "reader" type: "ReLU" bottom: "data" top: "r" }
            """, Phase.Test));
        Assert.That(e!.Message, Does.Contain("'reader'").And.Contain("'data'").And.Contain("TEST").IgnoreCase);
    }

    [Test]
    public void DuplicateLayerNamesAreAnError()
    {
        var e = Assert.Throws<OmnivoreException>(() => Build("""
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 } } }
            layer { name: "twice" type: "ReLU" bottom: "data" top: "a" }
            layer { name: "twice" type: "ReLU" bottom: "a" top: "b" }
            """));
        Assert.That(e!.Message, Does.Contain("'twice'"));
    }

    [Test]
    public void AccuracyGetsNoBackwardButTheLossPathDoes()
    {
        using var net = Build(Classifier);
        Assert.That(net.LayerNeedsBackward(Index(net, "acc")), Is.False);
        Assert.That(net.LayerNeedsBackward(Index(net, "in")), Is.False);
        Assert.That(net.LayerNeedsBackward(Index(net, "loss")), Is.True);
        Assert.That(net.LayerNeedsBackward(Index(net, "ip2")), Is.True);
        Assert.That(net.LayerNeedsBackward(Index(net, "relu1")), Is.True);
        Assert.That(net.LayerNeedsBackward(Index(net, "ip1")), Is.True);
        // ip2 has two readers, so a split sits before acc and loss.
        Assert.That(net.Layers.Select(l => l.Name), Has.Member("ip2_ip2_0_split"));
    }

    private const string Frozen = """
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
        layer { name: "frozen" type: "InnerProduct" bottom: "data" top: "f"
                param { lr_mult: 0 } param { lr_mult: BIAS_LR }
                inner_product_param { num_output: 3 } }
        layer { name: "top" type: "InnerProduct" bottom: "f" top: "t"
                inner_product_param { num_output: 2 } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "t" bottom: "label" top: "loss" }
        """;

    [Test]
    public void LayerWithAllLrMultZeroOverAnInputNeedsNoBackward()
    {
        using var net = Build(Frozen.Replace("BIAS_LR", "0"));
        Assert.That(net.LayerNeedsBackward(Index(net, "frozen")), Is.False);
        Assert.That(net.LayerNeedsBackward(Index(net, "top")), Is.True);
        Assert.That(net.LayerNeedsBackward(Index(net, "loss")), Is.True);
    }

    [Test]
    public void OneLearnableParamIsEnoughForBackward()
    {
        using var net = Build(Frozen.Replace("BIAS_LR", "1"));
        Assert.That(net.LayerNeedsBackward(Index(net, "frozen")), Is.True);
    }

    [Test]
    public void LossWeightScalesTheLossButNotTheLossBlob()
    {
        float Run(string weight, out float blobValue)
        {
            using var net = Build(Classifier.Replace("top: \"loss\" }", "top: \"loss\" " + weight + " }"), seed: 3);
            net.Blob("data").UploadData(Enumerable.Range(0, 24).Select(i => 0.1f * i).ToArray());
            net.Blob("label").UploadData([1f, 3f]);
            float loss = net.Forward();
            blobValue = net.Blob("loss").DownloadData()[0];
            Assert.That(net.LossWeightOf(net.Blob("loss")), Is.EqualTo(weight == "" ? 1f : 3f));
            return loss;
        }
        float plain = Run("", out var plainBlob), tripled = Run("loss_weight: 3", out var tripledBlob);
        Assert.That(plain, Is.GreaterThan(0.1f));
        Assert.That(plain, Is.EqualTo(plainBlob).Within(1e-6));
        Assert.That(tripledBlob, Is.EqualTo(plainBlob).Within(1e-6));
        Assert.That(tripled, Is.EqualTo(3 * plain).Within(1e-5));
    }

    [Test]
    public void ParametersLiveContiguouslyInTheArena()
    {
        using var net = Build(Classifier.Replace("num_output: 5 weight_filler { type: \"gaussian\" std: 0.1 }",
            "num_output: 5 weight_filler { type: \"gaussian\" std: 0.1 } bias_filler { type: \"constant\" value: 0.25 }"));
        var arena = net.Arena;
        var all = net.Layers.SelectMany(l => l.Params).ToList();
        Assert.That(all, Has.Count.EqualTo(4));
        Assert.That(arena.Count, Is.EqualTo(all.Sum(p => p.Count)));
        Assert.That(arena.Count, Is.EqualTo(5 * 12 + 5 + 4 * 5 + 4));
        Assert.That(arena.Entries, Has.Count.EqualTo(4));
        long expected = 0;
        foreach (var e in arena.Entries)
        {
            Assert.That(e.IsOwner, Is.True);
            Assert.That(e.Offset, Is.EqualTo(expected), $"{e.LayerName}[{e.Index}]");
            Assert.That(e.Blob, Is.SameAs(net.Layer(e.LayerName).Params[e.Index]));
            Assert.That(e.Blob.Data.Ptr, Is.EqualTo(arena.Data.Ptr + (nint)(e.Offset * sizeof(float))));
            Assert.That(e.Blob.Diff.Ptr, Is.EqualTo(arena.Diff.Ptr + (nint)(e.Offset * sizeof(float))));
            expected += e.Blob.Count;
        }
        // The fillers' values survive the move into the arena.
        Assert.That(net.Layer("ip1").Params[1].DownloadData(), Has.All.EqualTo(0.25f));
        var host = new float[arena.Count];
        CpuFixture.Device.Download(host, arena.Data);
        Assert.That(host.Skip(60).Take(5), Has.All.EqualTo(0.25f));
        Assert.That(host.Take(60), Is.EqualTo(net.Layer("ip1").Params[0].DownloadData()));
        // Clearing the arena's gradient clears every parameter's.
        CpuFixture.Device.Set(arena.Diff, 1f);
        net.ClearParamDiffs();
        Assert.That(all.SelectMany(p => p.DownloadDiff()), Has.All.EqualTo(0f));
    }

    private const string Shared = """
        layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
        layer { name: "a" type: "InnerProduct" bottom: "data" top: "a" param { name: "w" }
                inner_product_param { num_output: 4 bias_term: false weight_filler { type: "gaussian" std: 1 } } }
        layer { name: "b" type: "InnerProduct" bottom: "data" top: "b" param { name: "w" }
                inner_product_param { num_output: NB bias_term: false weight_filler { type: "gaussian" std: 1 } } }
        """;

    [Test]
    public void SharedParameterOccupiesOneSlot()
    {
        using var net = Build(Shared.Replace("NB", "4"));
        var arena = net.Arena;
        Assert.That(arena.Count, Is.EqualTo(12));
        Assert.That(arena.Entries, Has.Count.EqualTo(2));
        Assert.That(arena.Owners.Select(e => e.LayerName), Is.EqualTo(new[] { "a" }));
        Assert.That(arena.Entries.Select(e => e.Offset), Is.EqualTo(new[] { 0L, 0L }));
        Blob wa = net.Layer("a").Params[0], wb = net.Layer("b").Params[0];
        Assert.That(wb.Data.Ptr, Is.EqualTo(wa.Data.Ptr));
        var values = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        wa.UploadData(values);
        Assert.That(wb.DownloadData(), Is.EqualTo(values));
        // Both layers now compute the same outputs.
        net.Blob("data").UploadData([1f, 2f, 3f, -1f, 0f, 1f]);
        net.Forward();
        Assert.That(net.Blob("b").DownloadData(), Is.EqualTo(net.Blob("a").DownloadData()));
        Assert.That(net.Blob("a").DownloadData()[0], Is.EqualTo(0 * 1 + 0.5f * 2 + 1f * 3).Within(1e-6));
    }

    [Test]
    public void SharedParameterWithAnotherShapeIsAnError()
    {
        var e = Assert.Throws<OmnivoreException>(() => Build(Shared.Replace("NB", "5")));
        Assert.That(e!.Message, Does.Contain("'b'").And.Contain("'w'").And.Contain("'a'"));
    }
}
