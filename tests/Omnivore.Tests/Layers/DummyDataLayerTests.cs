// DummyDataLayerTests: DummyDataLayer shapes (shape messages, legacy num/channels/height/
// width given once or per top), constant fill (default 0) kept across forwards, uniform
// fill within [min, max) redrawn every forward as Caffe does, and its error messages.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class DummyDataLayerTests
{
    [Test]
    public void ShapesAndConstantFill()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = SetUp("name: 'dummy' type: 'DummyData' dummy_data_param { " +
                          "shape { dim: 2 dim: 3 dim: 4 dim: 5 } shape { dim: 2 } " +
                          "data_filler { type: 'constant' value: 1.5 } data_filler { type: 'constant' value: 3 } }",
                          [], [data, label]);
        try
        {
            Assert.That(data.Shape, Is.EqualTo(new[] { 2, 3, 4, 5 }));
            Assert.That(label.Shape, Is.EqualTo(new[] { 2 }));
            layer.Forward([], [data, label]);
            Assert.That(data.DownloadData(), Is.All.EqualTo(1.5f));
            Assert.That(label.DownloadData(), Is.All.EqualTo(3f));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void DefaultFillIsZeroAndOneShapeServesAllTops()
    {
        var a = NewBlob("a");
        var b = NewBlob("b");
        var layer = SetUp("name: 'dummy' type: 'DummyData' dummy_data_param { shape { dim: 3 dim: 2 } }", [], [a, b]);
        try
        {
            a.UploadData([1, 2, 3, 4, 5, 6]);
            layer.Forward([], [a, b]);
            Assert.That(b.Shape, Is.EqualTo(new[] { 3, 2 }));
            Assert.That(b.DownloadData(), Is.All.EqualTo(0f));
            Assert.That(a.DownloadData(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }), "constant tops are not refilled");
        }
        finally { DisposeAll(layer, a, b); }
    }

    // Legacy num/channels/height/width: Caffe takes each field once or once per top, separately.
    [TestCase("num: 2 num: 5 channels: 3 height: 4 width: 1", new[] { 2, 3, 4, 1 }, new[] { 5, 3, 4, 1 })]
    [TestCase("num: 2 channels: 3 channels: 1 height: 4 width: 1 width: 2", new[] { 2, 3, 4, 1 }, new[] { 2, 1, 4, 2 })]
    [TestCase("num: 1 channels: 2 height: 3 width: 4", new[] { 1, 2, 3, 4 }, new[] { 1, 2, 3, 4 })]
    public void LegacyDimensions(string param, int[] shapeA, int[] shapeB)
    {
        var a = NewBlob("a");
        var b = NewBlob("b");
        var layer = SetUp($"name: 'dummy' type: 'DummyData' dummy_data_param {{ {param} }}", [], [a, b]);
        try
        {
            Assert.That(a.Shape, Is.EqualTo(shapeA));
            Assert.That(b.Shape, Is.EqualTo(shapeB));
        }
        finally { DisposeAll(layer, a, b); }
    }

    [Test]
    public void UniformFillStaysInRangeAndIsRedrawnEachForward()
    {
        var top = NewBlob("data");
        var layer = SetUp("name: 'dummy' type: 'DummyData' dummy_data_param { " +
                          "shape { dim: 4 dim: 50 } data_filler { type: 'uniform' min: -2 max: 3 } }", [], [top]);
        try
        {
            var first = top.DownloadData();
            layer.Forward([], [top]);
            var second = top.DownloadData();
            foreach (var v in first.Concat(second)) Assert.That(v, Is.InRange(-2f, 3f));
            Assert.That(second, Is.Not.EqualTo(first), "a uniform top is refilled every forward");
            Assert.That(first.Average(), Is.EqualTo(0.5).Within(0.4), "mean of U(-2, 3) over 200 draws");
            Assert.That(first.Min(), Is.LessThan(-1.5f));
            Assert.That(first.Max(), Is.GreaterThan(2.5f));
        }
        finally { DisposeAll(layer, top); }
    }

    [TestCase("shape { dim: 1 } shape { dim: 2 } shape { dim: 3 }", "3 shapes given for 2 tops")]
    [TestCase("shape { dim: 1 } num: 1 channels: 1 height: 1 width: 1", "not both")]
    [TestCase("shape { dim: 1 } data_filler { } data_filler { } data_filler { }", "3 data_filler given for 2 tops")]
    [TestCase("shape { dim: 1 } data_filler { type: 'bogus' }", "unknown filler type 'bogus'")]
    [TestCase("num: 1 channels: 1 height: 1", "0 width values given for 2 tops")]
    public void BadParametersAreClearErrors(string param, string mentioned)
    {
        var a = NewBlob("a");
        var b = NewBlob("b");
        var layer = Create($"name: 'dummy' type: 'DummyData' dummy_data_param {{ {param} }}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([], [a, b]));
            Assert.That(e!.Message, Does.Contain("'dummy'").And.Contain(mentioned));
        }
        finally { DisposeAll(layer, a, b); }
    }
}
