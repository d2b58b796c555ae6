// SigmoidCrossEntropyLossLayerTests: the loss against -sum [t log p + (1-t) log(1-p)]
// with p = sigmoid(x) (written naively in double) for each normalization (BATCH_SIZE by
// default, as in Caffe; VALID, FULL, NONE; legacy normalize) with and without
// ignore_label; the gradient (p - t) * w / normalizer with ignored targets at 0;
// stability for |x| = 40; gradient checks; no gradient to the targets; count errors.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SigmoidCrossEntropyLossLayerTests
{
    // Scores (N=3, 2, 2, 2): 24 predictions. Targets in {0, 1, 0.3} and, for ignore tests, -1.
    private static readonly int[] Shape = [3, 2, 2, 2];

    private static string Text(string lossParam = "", string extra = "") =>
        $"name: 'sce' type: 'SigmoidCrossEntropyLoss' {extra} loss_param {{ {lossParam} }}";

    private static (Blob X, Blob T) Inputs(int seed, bool withIgnored)
    {
        var x = RandomBlob("x", seed, -3, 3, Shape);
        var t = NewBlob("t", Shape);
        t.UploadData(Enumerable.Range(0, 24).Select(i => withIgnored && i % 5 == 2 ? -1f : i % 3 == 0 ? 0.3f : i % 2).ToArray());
        return (x, t);
    }

    private static double P(double x) => 1 / (1 + Math.Exp(-x));

    [TestCase("", false, 3, TestName = "Default_BatchSize")]
    [TestCase("normalization: VALID", false, 24, TestName = "Valid_NoIgnore")]
    [TestCase("normalization: VALID ignore_label: -1", true, 19, TestName = "Valid_Ignore")]
    [TestCase("normalization: FULL ignore_label: -1", true, 24, TestName = "Full_Ignore")]
    [TestCase("normalization: BATCH_SIZE ignore_label: -1", true, 3, TestName = "BatchSize_Ignore")]
    [TestCase("normalization: NONE", false, 1, TestName = "None")]
    [TestCase("normalize: true ignore_label: -1", true, 19, TestName = "LegacyNormalizeTrue_Valid")]
    [TestCase("normalize: false", false, 3, TestName = "LegacyNormalizeFalse_BatchSize")]
    public void LossAndGradientMatchReference(string lossParam, bool withIgnored, int normalizer)
    {
        var (x, t) = Inputs(601, withIgnored);
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam), [x, t], [top]);
        try
        {
            layer.Forward([x, t], [top]);
            var (xv, tv) = (x.DownloadData(), t.DownloadData());
            bool ignoring = lossParam.Contains("ignore_label");
            double sum = 0;
            for (int i = 0; i < xv.Length; i++)
            {
                if (ignoring && tv[i] == -1) continue;
                double p = P(xv[i]);
                sum -= tv[i] * Math.Log(p) + (1 - tv[i]) * Math.Log(1 - p);
            }
            Assert.That(top.DownloadData()[0], Is.EqualTo(sum / normalizer).Within(1e-4).Percent);

            layer.Backward([top], [true, false], [x, t]);
            var expected = xv.Select((v, i) => ignoring && tv[i] == -1 ? 0f : (float)((P(v) - tv[i]) / normalizer)).ToArray();
            AssertClose(x.DownloadDiff(), expected, 1e-6f, "gradient");
        }
        finally { DisposeAll(layer, x, t, top); }
    }

    [TestCase("")]
    [TestCase("normalization: VALID ignore_label: -1")]
    [TestCase("normalization: FULL")]
    public void GradientCheck(string lossParam)
    {
        var (x, t) = Inputs(602, lossParam.Contains("ignore"));
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam, "loss_weight: 3"), [x, t], [top]);
        try
        {
            Assert.That(layer.AllowBackwardTo(1), Is.False);
            Assert.That(new GradientChecker().Check(layer, [x, t], [top]), Is.EqualTo(x.Count));
        }
        finally { DisposeAll(layer, x, t, top); }
    }

    [Test]
    public void LargeScoresStayFinite()
    {
        var x = NewBlob("x", 4, 1);
        x.UploadData([40f, -40f, 40f, -40f]);
        var t = NewBlob("t", 4, 1);
        t.UploadData([1f, 0f, 0f, 1f]);
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [x, t], [top]);
        try
        {
            layer.Forward([x, t], [top]);
            // Correct confident predictions cost ~0; wrong ones cost ~40 each: (40 + 40) / N=4.
            Assert.That(top.DownloadData()[0], Is.EqualTo(20f).Within(1e-4f));
        }
        finally { DisposeAll(layer, x, t, top); }
    }

    [Test]
    public void TargetsGetNoGradientAndCountsMustMatch()
    {
        var (x, t) = Inputs(603, false);
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [x, t], [top]);
        try
        {
            layer.Forward([x, t], [top]);
            var e = Assert.Throws<OmnivoreException>(() => layer.Backward([top], [true, true], [x, t]));
            Assert.That(e!.Message, Does.Contain("'sce'").And.Contain("target"));
        }
        finally { DisposeAll(layer, x, t, top); }
        var e2 = Assert.Throws<OmnivoreException>(() => SetUp(Text(), [NewBlob("x", 2, 3), NewBlob("t", 2, 4)], [NewBlob("l")]));
        Assert.That(e2!.Message, Does.Contain("same count"));
    }
}
