// ThresholdLayerTests: Threshold forward against x > t ? 1 : 0 (x == t gives 0) for the
// default t = 0 and others, in place; and, as in Caffe, no backward pass: asking for a
// gradient is an error naming the layer, while a backward call that propagates nothing
// is a no-op. (There is no gradient to check.)
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ThresholdLayerTests
{
    private static string Text(float? t) =>
        "name: 'th' type: 'Threshold'" + (t is float v ? $" threshold_param {{ threshold: {NeuronLayerChecks.F(v)} }}" : "");

    [TestCase(null)]
    [TestCase(0.3f)]
    [TestCase(-0.5f)]
    public void ForwardMatchesFormula(float? t)
    {
        float th = t ?? 0f;
        var x = RandomValues(60, 371, -1, 1);
        x[0] = th;
        x[1] = th + 1e-6f;
        var bottom = NewBlob("x", 3, 4, 5);
        bottom.UploadData(x);
        var top = NewBlob("y");
        var layer = SetUp(Text(t), [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            var y = top.DownloadData();
            Assert.That(y, Is.EqualTo(x.Select(v => v > th ? 1f : 0f).ToArray()));
            Assert.That(y[0], Is.EqualTo(0f), "x == threshold gives 0");
            Assert.That(y[1], Is.EqualTo(1f));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void WorksInPlace()
    {
        var x = RandomValues(24, 372, -1, 1);
        var blob = NewBlob("x", 2, 3, 4);
        blob.UploadData(x);
        var layer = SetUp(Text(0.1f), [blob], [blob]);
        try
        {
            layer.Forward([blob], [blob]);
            Assert.That(blob.DownloadData(), Is.EqualTo(x.Select(v => v > 0.1f ? 1f : 0f).ToArray()));
        }
        finally { DisposeAll(layer, blob); }
    }

    [Test]
    public void BackwardIsNotImplemented()
    {
        var bottom = RandomBlob("x", 373, -1, 1, 2, 3);
        var top = NewBlob("y");
        var layer = SetUp(Text(null), [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            var e = Assert.Throws<OmnivoreException>(() => layer.Backward([top], [true], [bottom]));
            Assert.That(e!.Message, Does.Contain("'th'").And.Contain("no backward"));
            Assert.DoesNotThrow(() => layer.Backward([top], [false], [bottom]));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
