// Tests for a net's weights in Caffe's .caffemodel form: ToProto exports every layer's
// parameters (and no split layers), CopyTrainedLayersFrom copies them back by layer name
// (in memory and through a file), and bad inputs fail clearly: shape mismatch (naming the
// layer and both shapes), wrong blob count, missing or truncated files (naming the file).
using Google.Protobuf;
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class NetWeightsTests
{
    private const string Template = """
        name: "weights"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 2 dim: 1 dim: 4 dim: 4 } shape { dim: 2 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 3 kernel_size: 3 weight_filler { type: "gaussian" std: 1 }
                                    bias_filler { type: "uniform" } } }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip"
                inner_product_param { num_output: IP_OUT weight_filler { type: "xavier" } bias_filler { type: "uniform" } } }
        layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "acc" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    private static Net Build(long seed, int ipOut = 5) => NetTests.Build(Template.Replace("IP_OUT", ipOut.ToString()), seed: seed);

    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "omnivore-weights-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Dictionary<string, float[][]> Values(Net net) =>
        net.Layers.Where(l => l.Params.Count > 0).ToDictionary(l => l.Name, l => l.Params.Select(p => p.DownloadData()).ToArray());

    [Test]
    public void ToProtoHoldsEveryLayerButSplitsWithItsBlobs()
    {
        using var net = Build(1);
        Assert.That(net.Layers.Any(l => l.Type == "Split"), Is.True, "ip has two readers");
        var proto = net.ToProto();
        Assert.That(proto.Name, Is.EqualTo("weights"));
        Assert.That(proto.Layer.Select(l => l.Name), Is.EqualTo(new[] { "in", "conv", "ip", "acc", "loss" }));
        var conv = proto.Layer[1];
        Assert.That(conv.Blobs, Has.Count.EqualTo(2));
        Assert.That(conv.Blobs[0].Shape.Dim, Is.EqualTo(new long[] { 3, 1, 3, 3 }));
        Assert.That(conv.Blobs[0].Data, Is.EqualTo(net.Layer("conv").Params[0].DownloadData()));
        Assert.That(conv.Blobs[0].Diff, Is.Empty);
        Assert.That(proto.Layer[2].Blobs[0].Shape.Dim, Is.EqualTo(new long[] { 5, 12 }));
        Assert.That(proto.Layer[0].Blobs, Is.Empty);
        Assert.That(net.ToProto(withDiff: true).Layer[1].Blobs[0].Diff, Has.Count.EqualTo(27));
    }

    [Test]
    public void CopyTrainedLayersRoundTripsInMemory()
    {
        using var source = Build(1);
        using var target = Build(2);
        var before = Values(target);
        Assert.That(before["conv"][0], Is.Not.EqualTo(Values(source)["conv"][0]), "different seeds give different weights");
        target.CopyTrainedLayersFrom(source.ToProto(), "memory");
        var copied = Values(target);
        foreach (var (layer, blobs) in Values(source))
            for (int i = 0; i < blobs.Length; i++)
                Assert.That(copied[layer][i], Is.EqualTo(blobs[i]), $"{layer}[{i}]");
    }

    [Test]
    public void CopyTrainedLayersRoundTripsThroughACaffemodelFile()
    {
        using var source = Build(1);
        using var target = Build(3);
        var path = Path.Combine(_dir, "w.caffemodel");
        File.WriteAllBytes(path, source.ToProto().ToByteArray());
        Assert.That(Net.ReadCaffeModel(path).Layer, Has.Count.EqualTo(5));
        target.CopyTrainedLayersFrom(path);
        Assert.That(Values(target)["ip"][0], Is.EqualTo(Values(source)["ip"][0]));
        Assert.That(Values(target)["conv"][1], Is.EqualTo(Values(source)["conv"][1]));
    }

    [Test]
    public void LayersMissingFromEitherSideAreSkipped()
    {
        using var source = Build(1);
        using var target = Build(2);
        var before = Values(target);
        var proto = source.ToProto();
        proto.Layer.RemoveAt(2); // no "ip" in the file
        proto.Layer.Add(new LayerParameter { Name = "extra", Type = "InnerProduct", Blobs = { new BlobProto { Data = { 1f } } } });
        target.CopyTrainedLayersFrom(proto, "memory");
        Assert.That(Values(target)["ip"][0], Is.EqualTo(before["ip"][0]));
        Assert.That(Values(target)["conv"][0], Is.EqualTo(Values(source)["conv"][0]));
    }

    [Test]
    public void ShapeMismatchNamesTheLayerAndBothShapes()
    {
        using var source = Build(1, ipOut: 5);
        using var target = Build(2, ipOut: 4);
        var e = Assert.Throws<OmnivoreException>(() => target.CopyTrainedLayersFrom(source.ToProto(), "src.caffemodel"));
        Assert.That(e!.Message, Does.Contain("src.caffemodel").And.Contain("'ip'")
                                    .And.Contain("5 12 (60)").And.Contain("4 12 (48)"));
    }

    [Test]
    public void WrongBlobCountIsAnError()
    {
        using var source = Build(1);
        using var target = Build(2);
        var proto = source.ToProto();
        proto.Layer[1].Blobs.RemoveAt(1);
        var e = Assert.Throws<OmnivoreException>(() => target.CopyTrainedLayersFrom(proto, "src.caffemodel"));
        Assert.That(e!.Message, Does.Contain("'conv'").And.Contain("1 blobs"));
    }

    [Test]
    public void LegacyFourDimensionalBlobsAreAccepted()
    {
        using var target = Build(2);
        var bias = new BlobProto { Num = 1, Channels = 1, Height = 1, Width = 3 };
        bias.Data.AddRange([7f, 8f, 9f]);
        var weights = new BlobProto { Num = 3, Channels = 1, Height = 3, Width = 3 };
        weights.Data.AddRange(Enumerable.Repeat(0.5f, 27));
        var proto = new NetParameter { Layer = { new LayerParameter { Name = "conv", Blobs = { weights, bias } } } };
        target.CopyTrainedLayersFrom(proto, "legacy");
        Assert.That(target.Layer("conv").Params[1].DownloadData(), Is.EqualTo(new[] { 7f, 8f, 9f }));
        Assert.That(target.Layer("conv").Params[0].DownloadData(), Has.All.EqualTo(0.5f));
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        using var net = Build(1);
        var path = Path.Combine(_dir, "absent.caffemodel");
        var e = Assert.Throws<OmnivoreException>(() => net.CopyTrainedLayersFrom(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void TruncatedFileNamesThePath()
    {
        using var source = Build(1);
        var bytes = source.ToProto().ToByteArray();
        var path = Path.Combine(_dir, "cut.caffemodel");
        // Cut inside the last layer with weights: the file ends in the middle of a message.
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        using var target = Build(2);
        var before = Values(target);
        var e = Assert.Throws<OmnivoreException>(() => target.CopyTrainedLayersFrom(path));
        Assert.That(e!.Message, Does.Contain(path));
        Assert.That(e.InnerException, Is.InstanceOf<InvalidProtocolBufferException>());
        Assert.That(Values(target)["conv"][0], Is.EqualTo(before["conv"][0]), "nothing copied from a corrupt file");
    }
}
