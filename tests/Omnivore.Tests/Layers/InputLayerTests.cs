// InputLayerTests: InputLayer gives its tops the declared shapes (one shape for every
// top, or one per top), leaves their contents alone in forward, and reports a missing
// input_param or a shape count that fits neither rule.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class InputLayerTests
{
    [Test]
    public void OneShapePerTop()
    {
        var data = NewBlob("data");
        var label = NewBlob("label");
        var layer = SetUp("name: 'in' type: 'Input' input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } shape { dim: 2 } }",
            [], [data, label]);
        try
        {
            Assert.That(data.Shape, Is.EqualTo(new[] { 2, 3, 8, 8 }));
            Assert.That(label.Shape, Is.EqualTo(new[] { 2 }));
            Assert.That(layer.Params, Is.Empty);
            Assert.That(layer.LossWeights, Is.EqualTo(new[] { 0f, 0f }));
        }
        finally { DisposeAll(layer, data, label); }
    }

    [Test]
    public void OneShapeForAllTopsAndForwardKeepsContents()
    {
        var a = NewBlob("a");
        var b = NewBlob("b");
        var layer = SetUp("name: 'in' type: 'Input' input_param { shape { dim: 2 dim: 3 } }", [], [a, b]);
        try
        {
            Assert.That(a.Shape, Is.EqualTo(new[] { 2, 3 }));
            Assert.That(b.Shape, Is.EqualTo(new[] { 2, 3 }));
            float[] values = [1, 2, 3, 4, 5, 6];
            a.UploadData(values);
            layer.Reshape([], [a, b]);
            layer.Forward([], [a, b]);
            layer.Backward([a, b], [], []);
            Assert.That(a.DownloadData(), Is.EqualTo(values), "the caller's input is left as given");
        }
        finally { DisposeAll(layer, a, b); }
    }

    [Test]
    public void ShapeCountMismatchIsAnError()
    {
        var tops = new[] { NewBlob("a"), NewBlob("b"), NewBlob("c") };
        var layer = Create("name: 'in' type: 'Input' input_param { shape { dim: 1 } shape { dim: 2 } }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([], tops));
            Assert.That(e!.Message, Does.Contain("'in'").And.Contain("2 shapes for 3 tops"));
        }
        finally { DisposeAll(layer, tops); }
    }

    [Test]
    public void MissingInputParamIsAnError()
    {
        var top = NewBlob("a");
        var layer = Create("name: 'in' type: 'Input'");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([], [top]));
            Assert.That(e!.Message, Does.Contain("'in'").And.Contain("input_param"));
        }
        finally { DisposeAll(layer, top); }
    }

    [Test]
    public void BottomsAreRejected()
    {
        var bottom = NewBlob("x", 1);
        var top = NewBlob("a");
        var layer = Create("name: 'in' type: 'Input' input_param { shape { dim: 1 } }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("exactly 0 bottom"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
