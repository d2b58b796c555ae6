// DropoutLayerTests: in TEST phase Dropout is the identity (forward and backward, in or
// out of place); in TRAIN every output is 0 or x / (1 - ratio), the fraction of zeros is
// near the ratio on a large blob, the mask is redrawn each forward and is repeatable for
// a fixed seed, and backward applies the same mask as the last forward.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class DropoutLayerTests
{
    private static string Text(float ratio) =>
        $"name: 'drop' type: 'Dropout' dropout_param {{ dropout_ratio: {ratio.ToString(System.Globalization.CultureInfo.InvariantCulture)} }}";

    [Test]
    public void TestPhaseIsIdentity()
    {
        var bottom = RandomBlob("x", 81, -1, 1, 2, 3, 4, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(0.5f), [bottom], [top], Phase.Test);
        try
        {
            layer.Forward([bottom], [top]);
            Assert.That(top.DownloadData(), Is.EqualTo(bottom.DownloadData()));
            var dy = RandomValues(top.Count, 82, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            Assert.That(bottom.DownloadDiff(), Is.EqualTo(dy));
            new GradientChecker().Check(layer, [bottom], [top]);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void TestPhaseInPlaceLeavesDataAlone()
    {
        var blob = RandomBlob("x", 83, -1, 1, 2, 3);
        var x = blob.DownloadData();
        var layer = SetUp(Text(0.5f), [blob], [blob], Phase.Test);
        try
        {
            layer.Forward([blob], [blob]);
            Assert.That(blob.DownloadData(), Is.EqualTo(x));
        }
        finally { DisposeAll(layer, blob); }
    }

    [TestCase(0.5f)]
    [TestCase(0.3f)]
    [TestCase(0.8f)]
    public void TrainOutputsZeroOrScaledInputWithRatioZeros(float ratio)
    {
        var bottom = RandomBlob("x", 84, 0.5f, 1.5f, 100, 100); // no zeros in the input
        var top = NewBlob("y");
        var layer = SetUp(Text(ratio), [bottom], [top], Phase.Train);
        try
        {
            layer.Forward([bottom], [top]);
            var x = bottom.DownloadData();
            var y = top.DownloadData();
            float scale = 1f / (1f - ratio);
            int zeros = 0;
            for (int i = 0; i < y.Length; i++)
            {
                if (y[i] == 0) { zeros++; continue; }
                if (Math.Abs(y[i] - x[i] * scale) > 1e-6f * Math.Abs(y[i]))
                    Assert.Fail($"element {i}: {y[i]} is neither 0 nor {x[i]} / (1 - {ratio})");
            }
            Assert.That((double)zeros / y.Length, Is.EqualTo(ratio).Within(0.025), "fraction of dropped units");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void BackwardUsesTheForwardMask()
    {
        const float ratio = 0.4f;
        var bottom = RandomBlob("x", 85, 0.5f, 1.5f, 4, 50);
        var top = NewBlob("y");
        var layer = SetUp(Text(ratio), [bottom], [top], Phase.Train);
        try
        {
            layer.Forward([bottom], [top]);
            var y = top.DownloadData();
            var dy = RandomValues(top.Count, 86, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            var expected = y.Select((v, i) => v == 0 ? 0f : dy[i] / (1f - ratio)).ToArray();
            AssertClose(bottom.DownloadDiff(), expected, 1e-6f, "bottom diff");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void MaskIsRedrawnEachForwardAndRepeatableForASeed()
    {
        float[][] Masks(long seed)
        {
            var bottom = NewBlob("x", 200);
            bottom.UploadData(Enumerable.Repeat(1f, 200).ToArray());
            var top = NewBlob("y");
            var layer = SetUp(Text(0.5f), [bottom], [top], Phase.Train, seed);
            try
            {
                layer.Forward([bottom], [top]);
                var first = top.DownloadData();
                layer.Forward([bottom], [top]);
                return [first, top.DownloadData()];
            }
            finally { DisposeAll(layer, bottom, top); }
        }
        var a = Masks(5);
        Assert.That(a[1], Is.Not.EqualTo(a[0]), "a new mask every forward");
        Assert.That(Masks(5)[0], Is.EqualTo(a[0]), "same seed, same masks");
        Assert.That(Masks(6)[0], Is.Not.EqualTo(a[0]), "another seed, another mask");
    }

    [TestCase(1f)]
    [TestCase(-0.1f)]
    public void RatioOutsideZeroOneIsAnError(float ratio)
    {
        var bottom = NewBlob("x", 3);
        var top = NewBlob("y");
        var layer = Create(Text(ratio));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'drop'").And.Contain("dropout_ratio"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
