// PReluLayerTests: PReLU's slope blob (shape (C), or no axes when channel_shared, filled
// with 0.25 by default or by prelu_param.filler); forward against max(x,0) + a_c*min(x,0)
// and backward (bottom diff and accumulated slope diff) against naive loops, per channel
// and shared, on 4-D and 2-D bottoms; in place matching out of place (Caffe keeps a copy
// of the input); gradient checks of the bottom and the slopes; shape errors; and, in a
// small net, the parameter arena and a weights round trip of the shared (0-axis) slope.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Nets;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class PReluLayerTests
{
    private static string Text(bool shared, string filler = "") =>
        $"name: 'pr' type: 'PReLU' prelu_param {{ channel_shared: {(shared ? "true" : "false")} {filler} }}";

    private static void SetSlopes(Layer layer, int seed) =>
        layer.Params[0].UploadData(RandomValues(layer.Params[0].Count, seed, -0.6f, 0.6f));

    [TestCase(false)]
    [TestCase(true)]
    public void SlopeBlobHasCaffesShapeAndDefaultFiller(bool shared)
    {
        var bottom = RandomBlob("x", 401, -1, 1, 2, 3, 4, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(shared), [bottom], [top]);
        try
        {
            Assert.That(layer.Params, Has.Count.EqualTo(1));
            Assert.That(layer.Params[0].Shape, Is.EqualTo(shared ? Array.Empty<int>() : new[] { 3 }));
            Assert.That(layer.Params[0].DownloadData(), Is.All.EqualTo(0.25f));
            Assert.That(top.Shape, Is.EqualTo(bottom.Shape));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void FillerIsHonoured()
    {
        var bottom = RandomBlob("x", 402, -1, 1, 2, 4);
        var top = NewBlob("y");
        var layer = SetUp(Text(false, "filler { type: 'constant' value: -0.7 }"), [bottom], [top]);
        try { Assert.That(layer.Params[0].DownloadData(), Is.EqualTo(new[] { -0.7f, -0.7f, -0.7f, -0.7f })); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(false, new[] { 2, 3, 4, 5 })]
    [TestCase(true, new[] { 2, 3, 4, 5 })]
    [TestCase(false, new[] { 4, 6 })]
    [TestCase(false, new[] { 2, 3, 2, 2, 2 })]
    public void ForwardAndBackwardMatchNaiveLoops(bool shared, int[] shape)
    {
        var bottom = RandomBlob("x", 403, -2, 2, shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(shared), [bottom], [top]);
        try
        {
            SetSlopes(layer, 404);
            var x = bottom.DownloadData();
            var a = layer.Params[0].DownloadData();
            int c = shape[1];
            long inner = x.Length / shape[0] / c;
            int Ch(int i) => shared ? 0 : (int)(i / inner % c);

            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), x.Select((v, i) => v > 0 ? v : a[Ch(i)] * v).ToArray(), 1e-7f, "forward");

            var dy = RandomValues(x.Length, 405, -1, 1);
            top.UploadDiff(dy);
            layer.Params[0].UploadDiff(Enumerable.Repeat(0.5f, a.Length).ToArray());
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), x.Select((v, i) => v > 0 ? dy[i] : a[Ch(i)] * dy[i]).ToArray(), 1e-7f, "bottom diff");
            var slopeDiff = Enumerable.Repeat(0.5, a.Length).ToArray();  // accumulated onto 0.5
            for (int i = 0; i < x.Length; i++)
                if (x[i] <= 0) slopeDiff[Ch(i)] += (double)dy[i] * x[i];
            AssertClose(layer.Params[0].DownloadDiff(), slopeDiff.Select(v => (float)v).ToArray(), 1e-5f, "slope diff");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void InPlaceMatchesOutOfPlace(bool shared)
    {
        var x = RandomValues(2 * 3 * 4 * 5, 406, -2, 2);
        var dy = RandomValues(x.Length, 407, -1, 1);
        var bottom = NewBlob("x", 2, 3, 4, 5);
        var top = NewBlob("y");
        var blob = NewBlob("xy", 2, 3, 4, 5);
        bottom.UploadData(x);
        blob.UploadData(x);
        var outOfPlace = SetUp(Text(shared), [bottom], [top]);
        var inPlace = SetUp(Text(shared), [blob], [blob]);
        try
        {
            SetSlopes(outOfPlace, 408);
            SetSlopes(inPlace, 408);
            outOfPlace.Forward([bottom], [top]);
            inPlace.Forward([blob], [blob]);
            Assert.That(blob.DownloadData(), Is.EqualTo(top.DownloadData()), "forward");
            top.UploadDiff(dy);
            blob.UploadDiff(dy);
            outOfPlace.Backward([top], [true], [bottom]);
            inPlace.Backward([blob], [true], [blob]);
            Assert.That(blob.DownloadDiff(), Is.EqualTo(bottom.DownloadDiff()), "bottom diff");
            Assert.That(inPlace.Params[0].DownloadDiff(), Is.EqualTo(outOfPlace.Params[0].DownloadDiff()), "slope diff");
        }
        finally
        {
            DisposeAll(outOfPlace, bottom, top);
            DisposeAll(inPlace, blob);
        }
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void GradientCheck(bool shared, bool inPlace)
    {
        var bottom = RandomBlob("x", 409, -1, 1, 2, 3, 3, 2);
        var top = inPlace ? bottom : NewBlob("y");
        var layer = SetUp(Text(shared), [bottom], [top]);
        try
        {
            SetSlopes(layer, 410);
            int n = new GradientChecker(kink: 0f, kinkRange: 0.01f).Check(layer, [bottom], [top]);
            Assert.That(n, Is.GreaterThan(bottom.Count * 9 / 10 + layer.Params[0].Count - 1));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void SlopeGradientsAccumulate()
    {
        var bottom = RandomBlob("x", 411, -1, 1, 2, 3, 4);
        var top = NewBlob("y");
        var layer = SetUp(Text(false), [bottom], [top]);
        try { AssertParamGradientsAccumulate(layer, bottom, top); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void SlopeGradientWithoutBottomGradient()
    {
        var bottom = RandomBlob("x", 412, -1, 1, 2, 3, 4);
        var top = NewBlob("y");
        var layer = SetUp(Text(false), [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            top.UploadDiff(RandomValues(top.Count, 413, -1, 1));
            bottom.UploadDiff(Enumerable.Repeat(7f, (int)bottom.Count).ToArray());
            layer.Backward([top], [false], [bottom]);
            Assert.That(bottom.DownloadDiff(), Is.All.EqualTo(7f), "bottom diff untouched");
            Assert.That(layer.Params[0].DownloadDiff(), Has.Some.Not.EqualTo(0f), "slope diff computed");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void ShapeErrors()
    {
        var e = Assert.Throws<OmnivoreException>(() => SetUp(Text(false), [NewBlob("x", 5)], [NewBlob("y")]));
        Assert.That(e!.Message, Does.Contain("'pr'").And.Contain("at least 2 axes"));

        var bottom = RandomBlob("x", 414, -1, 1, 2, 3, 4);
        var top = NewBlob("y");
        var layer = SetUp(Text(false), [bottom], [top]);
        try
        {
            bottom.Reshape(2, 5, 4);
            e = Assert.Throws<OmnivoreException>(() => layer.Reshape([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("5 channels").And.Contain("3 slopes"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    private const string NetText = """
        name: "prelu_net"
        layer { name: "in" type: "Input" top: "x" top: "target"
                input_param { shape { dim: 2 dim: 3 dim: 2 dim: 2 } shape { dim: 2 dim: 4 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip"
                inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "shared" type: "PReLU" bottom: "ip" top: "ip" prelu_param { channel_shared: true } }
        layer { name: "perch" type: "PReLU" bottom: "ip" top: "act" prelu_param { filler { type: "constant" value: 0.1 } } }
        layer { name: "sig" type: "Sigmoid" bottom: "act" top: "act" }
        layer { name: "loss" type: "EuclideanLoss" bottom: "act" bottom: "target" top: "loss" }
        """;

    [Test]
    public void SlopesTrainInANetAndRoundTripThroughWeights()
    {
        using var net = NetTests.Build(NetText);
        var shared = net.Layer("shared").Params[0];
        var perChannel = net.Layer("perch").Params[0];
        Assert.That(shared.Shape, Is.Empty);
        Assert.That(perChannel.Shape, Is.EqualTo(new[] { 4 }));
        net.Blob("x").UploadData(RandomValues(24, 415, -1, 1));
        net.Blob("target").UploadData(RandomValues(8, 416, 0, 1));
        float loss = net.ForwardBackward();
        Assert.That(float.IsFinite(loss) && loss > 0, Is.True);
        Assert.That(shared.DownloadDiff()[0], Is.Not.EqualTo(0f), "the shared slope gets a gradient");
        Assert.That(perChannel.DownloadDiff(), Has.Some.Not.EqualTo(0f));

        shared.UploadData([0.4f]);
        perChannel.UploadData([0.1f, -0.2f, 0.3f, 0.05f]);
        var proto = net.ToProto();
        var sharedProto = proto.Layer.Single(l => l.Name == "shared").Blobs.Single();
        Assert.That(sharedProto.Shape.Dim, Is.Empty, "Caffe stores the shared slope with no axes");
        using var copy = NetTests.Build(NetText, seed: 9);
        copy.CopyTrainedLayersFrom(proto, "memory");
        Assert.That(copy.Layer("shared").Params[0].DownloadData(), Is.EqualTo(new[] { 0.4f }));
        Assert.That(copy.Layer("perch").Params[0].DownloadData(), Is.EqualTo(new[] { 0.1f, -0.2f, 0.3f, 0.05f }));
    }
}
