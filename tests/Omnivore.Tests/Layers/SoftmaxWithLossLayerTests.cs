// SoftmaxWithLossLayerTests: the loss value against -sum(log p[label]) / normalizer for
// each normalization mode (VALID, FULL, BATCH_SIZE, NONE, and legacy normalize: false),
// with ignore_label; the analytic gradient (p - onehot) * w / normalizer; loss_weight 2
// doubling the gradient; the optional probability top; label errors; gradient checks.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SoftmaxWithLossLayerTests
{
    // Scores (N=2, C=4, 2, 3): outer 2, inner 6, 12 predictions; labels i % 4, so with
    // ignore_label 1 three predictions are ignored and 9 are valid.
    private static readonly int[] ScoreShape = [2, 4, 2, 3];
    private const int Outer = 2, Channels = 4, Inner = 6;

    private static string Text(string lossParam = "", string extra = "") =>
        $"name: 'loss' type: 'SoftmaxWithLoss' {extra} loss_param {{ {lossParam} }}";

    private static (Blob Scores, Blob Labels) Inputs(int seed = 61)
    {
        var scores = RandomBlob("scores", seed, -2, 2, ScoreShape);
        var labels = NewBlob("labels", 2, 1, 2, 3);
        labels.UploadData(Enumerable.Range(0, 12).Select(i => (float)(i % 4)).ToArray());
        return (scores, labels);
    }

    /// <summary>Sum of -log p[label] over non-ignored predictions, and their count.</summary>
    private static (double Sum, int Valid) ReferenceLoss(float[] scores, float[] labels, int? ignore)
    {
        var p = SoftmaxLayerTests.NaiveSoftmax(scores, ScoreShape, 1);
        double sum = 0;
        int valid = 0;
        for (int i = 0; i < Outer; i++)
        for (int j = 0; j < Inner; j++)
        {
            int l = (int)labels[i * Inner + j];
            if (l == ignore) continue;
            sum -= Math.Log(p[(i * Channels + l) * Inner + j]);
            valid++;
        }
        return (sum, valid);
    }

    [TestCase("", 12, TestName = "Loss_DefaultValid_NoIgnore_Over12")]
    [TestCase("normalization: VALID ignore_label: 1", 9, TestName = "Loss_Valid_Ignore1_Over9")]
    [TestCase("normalization: FULL ignore_label: 1", 12, TestName = "Loss_Full_Ignore1_Over12")]
    [TestCase("normalization: BATCH_SIZE ignore_label: 1", 2, TestName = "Loss_BatchSize_Ignore1_Over2")]
    [TestCase("normalization: NONE ignore_label: 1", 1, TestName = "Loss_None_Ignore1_Over1")]
    [TestCase("normalize: false", 2, TestName = "Loss_LegacyNormalizeFalse_BatchSize")]
    [TestCase("normalize: true ignore_label: 1", 9, TestName = "Loss_LegacyNormalizeTrue_Valid")]
    public void LossMatchesReference(string lossParam, int normalizer)
    {
        var (scores, labels) = Inputs();
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam), [scores, labels], [top]);
        try
        {
            Assert.That(top.Count, Is.EqualTo(1));
            layer.Forward([scores, labels], [top]);
            int? ignore = lossParam.Contains("ignore_label") ? 1 : null;
            var (sum, _) = ReferenceLoss(scores.DownloadData(), labels.DownloadData(), ignore);
            Assert.That(top.DownloadData()[0], Is.EqualTo(sum / normalizer).Within(1e-5).Percent);

            // Analytic gradient: (p - onehot) / normalizer, zero for ignored predictions.
            layer.Backward([top], [true, false], [scores, labels]);
            var p = SoftmaxLayerTests.NaiveSoftmax(scores.DownloadData(), ScoreShape, 1);
            var l = labels.DownloadData();
            var expected = new float[p.Length];
            for (int i = 0; i < Outer; i++)
            for (int c = 0; c < Channels; c++)
            for (int j = 0; j < Inner; j++)
            {
                int label = (int)l[i * Inner + j], k = (i * Channels + c) * Inner + j;
                expected[k] = label == ignore ? 0f : (p[k] - (c == label ? 1f : 0f)) / normalizer;
            }
            AssertClose(scores.DownloadDiff(), expected, 1e-5f, "gradient");
        }
        finally { DisposeAll(layer, scores, labels, top); }
    }

    [TestCase("")]
    [TestCase("normalization: VALID ignore_label: 1")]
    [TestCase("normalization: FULL ignore_label: 1")]
    [TestCase("normalization: BATCH_SIZE ignore_label: 2")]
    [TestCase("normalization: NONE")]
    public void GradientCheck(string lossParam)
    {
        var (scores, labels) = Inputs(62);
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam), [scores, labels], [top]);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [scores, labels], [top]), Is.EqualTo(scores.Count));
        }
        finally { DisposeAll(layer, scores, labels, top); }
    }

    [Test]
    public void LossWeightTwoDoublesTheGradient()
    {
        var (s1, l1) = Inputs(63);
        var (s2, l2) = Inputs(63);
        var t1 = NewBlob("loss1");
        var t2 = NewBlob("loss2");
        var one = SetUp(Text(), [s1, l1], [t1]);
        var two = SetUp(Text(extra: "loss_weight: 2"), [s2, l2], [t2]);
        try
        {
            Assert.That(one.LossWeights, Is.EqualTo(new[] { 1f }), "loss layers default to loss weight 1");
            Assert.That(two.LossWeights, Is.EqualTo(new[] { 2f }));
            Assert.That(t2.DownloadDiff()[0], Is.EqualTo(2f), "SetUp puts the loss weight in the top diff");
            one.Forward([s1, l1], [t1]);
            two.Forward([s2, l2], [t2]);
            Assert.That(t2.DownloadData()[0], Is.EqualTo(t1.DownloadData()[0]), "the loss value is not scaled");
            one.Backward([t1], [true, false], [s1, l1]);
            two.Backward([t2], [true, false], [s2, l2]);
            AssertClose(s2.DownloadDiff(), s1.DownloadDiff().Select(g => 2 * g).ToArray(), 1e-6f, "gradient");
            new GradientChecker().Check(two, [s2, l2], [t2]);
        }
        finally
        {
            DisposeAll(one, s1, l1, t1);
            DisposeAll(two, s2, l2, t2);
        }
    }

    [Test]
    public void SecondTopHoldsTheProbabilities()
    {
        var (scores, labels) = Inputs(64);
        var loss = NewBlob("loss");
        var prob = NewBlob("prob");
        var layer = SetUp(Text(), [scores, labels], [loss, prob]);
        try
        {
            Assert.That(layer.LossWeights, Is.EqualTo(new[] { 1f, 0f }));
            Assert.That(prob.Shape, Is.EqualTo(ScoreShape));
            layer.Forward([scores, labels], [loss, prob]);
            AssertClose(prob.DownloadData(), SoftmaxLayerTests.NaiveSoftmax(scores.DownloadData(), ScoreShape, 1), 1e-5f, "prob");
        }
        finally { DisposeAll(layer, scores, labels, loss, prob); }
    }

    [Test]
    public void LabelOutOfRangeIsAnError()
    {
        var (scores, labels) = Inputs(65);
        labels.UploadData(Enumerable.Range(0, 12).Select(i => i == 5 ? 4f : 0f).ToArray());
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [scores, labels], [top]);
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.Forward([scores, labels], [top]));
            Assert.That(e!.Message, Does.Contain("'loss'").And.Contain("label 4"));
            Assert.That(layer.AllowBackwardTo(1), Is.False);
        }
        finally { DisposeAll(layer, scores, labels, top); }
    }

    [Test]
    public void LabelCountMismatchIsAnError()
    {
        var scores = RandomBlob("scores", 66, -1, 1, 2, 4);
        var labels = NewBlob("labels", 3);
        var top = NewBlob("loss");
        Layer? layer = Create(Text());
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([scores, labels], [top]));
            Assert.That(e!.Message, Does.Contain("label count 3"));
        }
        finally { DisposeAll(layer, scores, labels, top); }
    }
}
