// AccuracyLayerTests: AccuracyLayer as Caffe counts it: top-1 against a naive argmax on
// random spatial scores; a hand-made table for top_k 1..4 where ties with the true class
// count against it (Caffe's num_better_predictions counts scores >= the true one);
// ignore_label; the per-class second top; no backward; top_k larger than the classes.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class AccuracyLayerTests
{
    // Five examples, four classes. Ranks of the true class, ties counted against it:
    // row 0 -> 0, row 1 -> 2, row 2 -> 2 (tie 0.25 = 0.25), row 3 -> 0, row 4 -> 3 (ties at 0.1).
    private static readonly float[] Table =
    [
        0.1f, 0.7f, 0.2f, 0.0f,
        0.4f, 0.3f, 0.2f, 0.1f,
        0.25f, 0.25f, 0.4f, 0.1f,
        0.3f, 0.1f, 0.1f, 0.5f,
        0.2f, 0.6f, 0.1f, 0.1f,
    ];
    private static readonly float[] TableLabels = [1, 2, 0, 3, 2];

    private static float[] Run(string accuracyParam, float[] scores, float[] labels, int[] scoreShape, bool perClass = false)
    {
        var s = NewBlob("scores", scoreShape);
        s.UploadData(scores);
        var l = NewBlob("labels", labels.Length);
        l.UploadData(labels);
        var acc = NewBlob("accuracy");
        var per = NewBlob("per_class");
        Blob[] tops = perClass ? [acc, per] : [acc];
        var layer = SetUp($"name: 'acc' type: 'Accuracy' accuracy_param {{ {accuracyParam} }}", [s, l], tops);
        try
        {
            Assert.That(acc.Count, Is.EqualTo(1));
            Assert.That(layer.LossWeights, Is.All.EqualTo(0f));
            layer.Forward([s, l], tops);
            return perClass ? [acc.DownloadData()[0], .. per.DownloadData()] : acc.DownloadData();
        }
        finally { DisposeAll(layer, s, l, acc, per); }
    }

    [TestCase(1, 0.4f)]
    [TestCase(2, 0.4f)]
    [TestCase(3, 0.8f)]
    [TestCase(4, 1.0f)]
    public void TopKWithTiesCountingAgainst(int k, float expected) =>
        Assert.That(Run($"top_k: {k}", Table, TableLabels, [5, 4])[0], Is.EqualTo(expected).Within(1e-6f));

    [Test]
    public void ExactTieIsNotCorrectAtTop1()
    {
        float[] scores = [0.5f, 0.5f, 0f, 0f, 0.5f, 0.5f];
        Assert.That(Run("top_k: 1", scores, [0, 1], [2, 3])[0], Is.EqualTo(0f), "either tied class loses at top 1");
        Assert.That(Run("top_k: 2", scores, [0, 1], [2, 3])[0], Is.EqualTo(1f));
    }

    [Test]
    public void IgnoreLabelIsExcludedFromTheCount() =>
        Assert.That(Run("ignore_label: 2", Table, TableLabels, [5, 4])[0], Is.EqualTo(2f / 3).Within(1e-6f));

    [TestCase("top_k: 1", new[] { 0.4f, 0f, 1f, 0f, 1f })]
    [TestCase("top_k: 3", new[] { 0.8f, 1f, 1f, 0.5f, 1f })]
    [TestCase("top_k: 1 ignore_label: 2", new[] { 2f / 3, 0f, 1f, 0f, 1f })]
    public void PerClassAccuracyInSecondTop(string param, float[] expected)
    {
        var got = Run(param, Table, TableLabels, [5, 4], perClass: true);
        AssertClose(got, expected, 1e-6f, "accuracy, then per class");
    }

    [Test]
    public void Top1OnSpatialScoresMatchesArgmax()
    {
        // Scores (2, 5, 2, 3): outer 2, classes 5, inner 6; labels (2, 2, 3).
        var scores = RandomValues(2 * 5 * 6, 71, -1, 1);
        var labels = RandomValues(12, 72, 0, 5).Select(v => MathF.Floor(v)).ToArray();
        int correct = 0;
        for (int i = 0; i < 2; i++)
        for (int j = 0; j < 6; j++)
        {
            int best = 0;
            for (int c = 1; c < 5; c++)
                if (scores[(i * 5 + c) * 6 + j] > scores[(i * 5 + best) * 6 + j]) best = c;
            if (best == (int)labels[i * 6 + j]) correct++;
        }
        Assert.That(correct, Is.InRange(1, 11), "the random case should be neither all right nor all wrong");
        Assert.That(Run("", scores, labels, [2, 5, 2, 3])[0], Is.EqualTo(correct / 12f).Within(1e-6f));
    }

    [Test]
    public void HasNoBackward()
    {
        var s = RandomBlob("scores", 73, 0, 1, 2, 3);
        var l = NewBlob("labels", 2);
        var acc = NewBlob("accuracy");
        var layer = SetUp("name: 'acc' type: 'Accuracy'", [s, l], [acc]);
        try
        {
            Assert.That(layer.AllowBackwardTo(0), Is.False);
            Assert.That(layer.AllowBackwardTo(1), Is.False);
            Assert.Throws<OmnivoreException>(() => layer.Backward([acc], [true, false], [s, l]));
            Assert.DoesNotThrow(() => layer.Backward([acc], [false, false], [s, l]));
        }
        finally { DisposeAll(layer, s, l, acc); }
    }

    [Test]
    public void TopKAboveClassCountIsAnError()
    {
        var s = RandomBlob("scores", 74, 0, 1, 2, 3);
        var l = NewBlob("labels", 2);
        var acc = NewBlob("accuracy");
        var layer = Create("name: 'acc' type: 'Accuracy' accuracy_param { top_k: 4 }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([s, l], [acc]));
            Assert.That(e!.Message, Does.Contain("'acc'").And.Contain("top_k 4"));
        }
        finally { DisposeAll(layer, s, l, acc); }
    }
}
