// EuclideanLossLayerTests: the loss against 1/(2N) * sum (a - b)^2, the gradients to
// both bottoms (+/-(a - b) * w / N) including loss_weight 2, gradient checks of both
// bottoms, and shape errors.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class EuclideanLossLayerTests
{
    private static string Text(string extra = "") => $"name: 'eu' type: 'EuclideanLoss' {extra}";

    [TestCase("", 1f)]
    [TestCase("loss_weight: 2", 2f)]
    public void LossAndGradientsMatchFormula(string extra, float weight)
    {
        var a = RandomBlob("a", 501, -1, 1, 4, 3, 2);
        var b = RandomBlob("b", 502, -1, 1, 4, 6);  // same count per example, other shape
        var top = NewBlob("loss");
        var layer = SetUp(Text(extra), [a, b], [top]);
        try
        {
            Assert.That(top.NumAxes, Is.EqualTo(0));
            Assert.That(layer.LossWeights, Is.EqualTo(new[] { weight }));
            layer.Forward([a, b], [top]);
            var (x, y) = (a.DownloadData(), b.DownloadData());
            double sum = 0;
            for (int i = 0; i < x.Length; i++) sum += (double)(x[i] - y[i]) * (x[i] - y[i]);
            Assert.That(top.DownloadData()[0], Is.EqualTo(sum / 4 / 2).Within(1e-5).Percent);

            layer.Backward([top], [true, true], [a, b]);
            AssertClose(a.DownloadDiff(), x.Select((v, i) => weight * (v - y[i]) / 4).ToArray(), 1e-6f, "diff a");
            AssertClose(b.DownloadDiff(), x.Select((v, i) => -weight * (v - y[i]) / 4).ToArray(), 1e-6f, "diff b");
        }
        finally { DisposeAll(layer, a, b, top); }
    }

    [Test]
    public void GradientCheckBothBottoms()
    {
        var a = RandomBlob("a", 503, -1, 1, 2, 3, 2, 2);
        var b = RandomBlob("b", 504, -1, 1, 2, 3, 2, 2);
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [a, b], [top]);
        try
        {
            Assert.That(layer.AllowBackwardTo(0) && layer.AllowBackwardTo(1), Is.True);
            Assert.That(new GradientChecker().Check(layer, [a, b], [top]), Is.EqualTo(a.Count + b.Count));
        }
        finally { DisposeAll(layer, a, b, top); }
    }

    [Test]
    public void OnlyTheRequestedBottomGetsAGradient()
    {
        var a = RandomBlob("a", 505, -1, 1, 3, 2);
        var b = RandomBlob("b", 506, -1, 1, 3, 2);
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [a, b], [top]);
        try
        {
            layer.Forward([a, b], [top]);
            a.UploadDiff(Enumerable.Repeat(9f, 6).ToArray());
            layer.Backward([top], [false, true], [a, b]);
            Assert.That(a.DownloadDiff(), Is.All.EqualTo(9f));
            Assert.That(b.DownloadDiff(), Has.Some.Not.EqualTo(0f));
        }
        finally { DisposeAll(layer, a, b, top); }
    }

    [Test]
    public void ShapeMismatchIsAnError()
    {
        var e = Assert.Throws<OmnivoreException>(() => SetUp(Text(), [NewBlob("a", 2, 3), NewBlob("b", 2, 4)], [NewBlob("l")]));
        Assert.That(e!.Message, Does.Contain("'eu'").And.Contain("same size per example"));
        e = Assert.Throws<OmnivoreException>(() => SetUp(Text(), [NewBlob("a", 2, 6), NewBlob("b", 3, 4)], [NewBlob("l")]));
        Assert.That(e!.Message, Does.Contain("same first dimension"));
    }
}
