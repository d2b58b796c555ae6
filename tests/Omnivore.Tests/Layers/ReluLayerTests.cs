// ReluLayerTests: ReLU and leaky ReLU (negative_slope) forward against max(x, 0) +
// slope * min(x, 0), backward, in-place use (top == bottom), and gradient checks that
// skip points within 0.01 of the kink at 0, as Caffe's ReLU tests do.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ReluLayerTests
{
    private static string Text(float slope) =>
        $"name: 'relu' type: 'ReLU' relu_param {{ negative_slope: {slope.ToString(System.Globalization.CultureInfo.InvariantCulture)} }}";

    private static float Relu(float x, float slope) => x > 0 ? x : x * slope;

    [TestCase(0f)]
    [TestCase(0.1f)]
    public void ForwardAndBackwardMatchFormula(float slope)
    {
        var bottom = RandomBlob("x", 41, -2, 2, 2, 3, 4, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(slope), [bottom], [top]);
        try
        {
            var x = bottom.DownloadData();
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), x.Select(v => Relu(v, slope)).ToArray(), 0f, "forward");
            var dy = RandomValues(top.Count, 42, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), x.Select((v, i) => v > 0 ? dy[i] : dy[i] * slope).ToArray(), 1e-7f, "backward");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void ParamlessReluDefaultsToZeroSlope()
    {
        var bottom = NewBlob("x", 4);
        bottom.UploadData([-1, 0, 2, -3]);
        var top = NewBlob("y");
        var layer = SetUp("name: 'relu' type: 'ReLU'", [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            Assert.That(top.DownloadData(), Is.EqualTo(new float[] { 0, 0, 2, 0 }));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(0f)]
    [TestCase(0.25f)]
    public void InPlaceMatchesOutOfPlace(float slope)
    {
        var x = RandomValues(2 * 3 * 4 * 5, 43, -2, 2);
        var dy = RandomValues(x.Length, 44, -1, 1);
        var blob = NewBlob("x", 2, 3, 4, 5);
        blob.UploadData(x);
        var layer = SetUp(Text(slope), [blob], [blob]);
        try
        {
            layer.Forward([blob], [blob]);
            AssertClose(blob.DownloadData(), x.Select(v => Relu(v, slope)).ToArray(), 0f, "in-place forward");
            blob.UploadDiff(dy);
            layer.Backward([blob], [true], [blob]);
            AssertClose(blob.DownloadDiff(), x.Select((v, i) => v > 0 ? dy[i] : dy[i] * slope).ToArray(), 1e-7f, "in-place backward");
        }
        finally { DisposeAll(layer, blob); }
    }

    [TestCase(0f)]
    [TestCase(0.01f)]
    [TestCase(0.3f)]
    public void GradientCheck(float slope)
    {
        var bottom = RandomBlob("x", 45, -1, 1, 2, 3, 4, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(slope), [bottom], [top]);
        try
        {
            int n = new GradientChecker(kink: 0f, kinkRange: 0.01f).Check(layer, [bottom], [top]);
            Assert.That(n, Is.GreaterThan(bottom.Count * 9 / 10), "too many points skipped near the kink");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void InPlaceGradientCheck()
    {
        var blob = RandomBlob("x", 46, -1, 1, 2, 3, 3, 3);
        var layer = SetUp(Text(0.2f), [blob], [blob]);
        try
        {
            int n = new GradientChecker(kink: 0f, kinkRange: 0.01f).Check(layer, [blob], [blob]);
            Assert.That(n, Is.GreaterThan(blob.Count * 9 / 10));
        }
        finally { DisposeAll(layer, blob); }
    }
}
