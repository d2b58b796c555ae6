// FlattenLayerTests: FlattenLayer output shapes for axis/end_axis (Caffe's rules), the
// top sharing the bottom's data and diff (also after the bottom grows), its errors
// (in place, end_axis before axis, axis out of range), a gradient check, and a net in
// which Flatten, Slice and Concat feed an InnerProduct (gradients reach the Scale below).
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class FlattenLayerTests
{
    private static string Text(string p = "") => $"name: 'flat' type: 'Flatten' flatten_param {{ {p} }}";

    [TestCase("", new[] { 2, 60 })]
    [TestCase("axis: 2", new[] { 2, 3, 20 })]
    [TestCase("end_axis: -2", new[] { 2, 12, 5 })]
    [TestCase("axis: 0 end_axis: 1", new[] { 6, 4, 5 })]
    [TestCase("axis: -1", new[] { 2, 3, 4, 5 })]
    [TestCase("axis: 0", new[] { 120 })]
    public void ForwardKeepsValuesWithTheFlattenedShape(string p, int[] expected)
    {
        var bottom = RandomBlob("x", 1, -1, 1, 2, 3, 4, 5);
        var top = NewBlob("y", 7);
        var layer = SetUp(Text(p), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(expected));
            layer.Forward([bottom], [top]);
            // Row-major order is unchanged: element i of the top is element i of the bottom.
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "flatten");
            Assert.That(top.SharedSource, Is.SameAs(bottom));
            Assert.That(top.Data.Ptr, Is.EqualTo(bottom.Data.Ptr));
            Assert.That(top.Diff.Ptr, Is.EqualTo(bottom.Diff.Ptr));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void TopSharesDataAndDiffAndFollowsABottomThatGrows()
    {
        var bottom = RandomBlob("x", 2, -1, 1, 2, 3, 2);
        var top = NewBlob("y");
        var layer = SetUp(Text(), [bottom], [top]);
        try
        {
            var dy = RandomValues(top.Count, 3, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), dy, 0f, "bottom diff is the top diff");
            bottom.UploadData(RandomValues(bottom.Count, 4, -1, 1));
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "a write to the bottom shows in the top");

            bottom.Reshape(5, 3, 2);   // grows: the bottom reallocates
            var x = RandomValues(bottom.Count, 5, -1, 1);
            bottom.UploadData(x);
            layer.Reshape([bottom], [top]);
            Assert.That(top.Shape, Is.EqualTo(new[] { 5, 6 }));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), x, 0f, "after growth");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void GradientCheck()
    {
        var bottom = RandomBlob("x", 6, -1, 1, 2, 3, 2, 2);
        var top = NewBlob("y");
        var layer = SetUp(Text("axis: 1 end_axis: 2"), [bottom], [top]);
        try { Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count)); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("axis: 2 end_axis: 1", "precedes")]
    [TestCase("axis: 4", "out of range")]
    [TestCase("end_axis: -5", "out of range")]
    public void BadAxesAreErrors(string p, string message)
    {
        var bottom = NewBlob("x", 2, 3, 4, 5);
        var top = NewBlob("y");
        var layer = Create(Text(p));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'flat'").And.Contain(message));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void InPlaceIsAnError()
    {
        var blob = NewBlob("x", 2, 3);
        var layer = Create(Text());
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([blob], [blob]));
            Assert.That(e!.Message, Does.Contain("in-place"));
        }
        finally { DisposeAll(layer, blob); }
    }

    [Test]
    public void WorksInsideANet()
    {
        const string text = """
            name: "shapes"
            layer { name: "in" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 2 dim: 3 dim: 2 dim: 2 } shape { dim: 2 } } }
            layer { name: "scale" type: "Scale" bottom: "data" top: "sdata" }
            layer { name: "flat" type: "Flatten" bottom: "sdata" top: "flat" }
            layer { name: "slice" type: "Slice" bottom: "flat" top: "a" top: "b" slice_param { slice_point: 5 } }
            layer { name: "cat" type: "Concat" bottom: "b" bottom: "a" top: "cat" }
            layer { name: "ip" type: "InnerProduct" bottom: "cat" top: "ip"
                    inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """;
        using var net = new Net(TextFormat.Parse<NetParameter>(text, "net"), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        Assert.That(net.Blob("flat").Shape, Is.EqualTo(new[] { 2, 12 }));
        Assert.That(net.Blob("a").Shape, Is.EqualTo(new[] { 2, 5 }));
        Assert.That(net.Blob("cat").Shape, Is.EqualTo(new[] { 2, 12 }));
        var x = RandomValues(24, 11, -1, 1);
        net.Blob("data").UploadData(x);
        net.Blob("label").UploadData([0f, 2f]);
        float loss = net.ForwardBackward();
        Assert.That(float.IsFinite(loss) && loss > 0, Is.True);
        // cat = (s[5..12], s[0..5]) per example: its diff, permuted back, is sdata's diff.
        var dcat = net.Blob("cat").DownloadDiff();
        var expected = new float[24];
        for (int n = 0; n < 2; n++)
            for (int j = 0; j < 12; j++) expected[n * 12 + (j < 7 ? j + 5 : j - 7)] = dcat[n * 12 + j];
        AssertClose(net.Blob("sdata").DownloadDiff(), expected, 0f, "sdata diff");
        Assert.That(expected.Any(v => v != 0), Is.True);
    }
}
