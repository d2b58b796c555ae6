// InfogainLossLayerTests: BVLC Caffe's infogain loss (internal softmax over axis) against
// a naive loop -sum H[l, k] log p_k / normalizer with H from a third bottom and from a
// binary BlobProto file; identity H equal to SoftmaxWithLoss; ignore_label and the
// normalization modes; a non-default axis; the analytic gradient
// (p_k * rowsum(H)[l] - H[l, k]) * w / normalizer; the probability top; gradient checks;
// and errors (deprecated normalize, H of the wrong size, missing source, bad labels).
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class InfogainLossLayerTests
{
    private const int K = 4;

    private static string Text(string lossParam = "", string infogain = "", string extra = "") =>
        $"name: 'ig' type: 'InfogainLoss' {extra} loss_param {{ {lossParam} }} infogain_loss_param {{ {infogain} }}";

    private static float[] RandomH(int seed) => RandomValues(K * K, seed, 0, 2);

    private static Blob HBlob(float[] h)
    {
        var b = NewBlob("H", 1, 1, K, K);
        b.UploadData(h);
        return b;
    }

    /// <summary>Loss sum and valid count, and the expected gradient scaled by 1/normalizer later.</summary>
    private static (double Sum, int Valid, double[] Grad) Reference(float[] scores, int[] shape, int axis, float[] labels,
                                                                   float[] h, int? ignore)
    {
        var p = SoftmaxLayerTests.NaiveSoftmax(scores, shape, axis);
        int outer = shape.Take(axis).Aggregate(1, (a, b) => a * b), inner = shape.Skip(axis + 1).Aggregate(1, (a, b) => a * b);
        double sum = 0;
        int valid = 0;
        var grad = new double[p.Length];
        for (int i = 0; i < outer; i++)
        for (int j = 0; j < inner; j++)
        {
            int l = (int)labels[i * inner + j];
            if (l == ignore) continue;
            valid++;
            double rowSum = 0;
            for (int k = 0; k < K; k++) rowSum += h[l * K + k];
            for (int k = 0; k < K; k++)
            {
                int idx = (i * K + k) * inner + j;
                sum -= h[l * K + k] * Math.Log(Math.Max(p[idx], 1e-20));
                grad[idx] = p[idx] * rowSum - h[l * K + k];
            }
        }
        return (sum, valid, grad);
    }

    [TestCase("", 6, TestName = "Default_Valid_NoIgnore")]
    [TestCase("ignore_label: 2", 4, TestName = "Valid_Ignore2")]
    [TestCase("normalization: FULL ignore_label: 2", 6, TestName = "Full_Ignore2")]
    [TestCase("normalization: BATCH_SIZE", 2, TestName = "BatchSize")]
    [TestCase("normalization: NONE ignore_label: 0", 1, TestName = "None_Ignore0")]
    public void LossAndGradientWithMatrixBottom(string lossParam, int normalizer)
    {
        int[] shape = [2, K, 3];
        var scores = RandomBlob("s", 801, -2, 2, shape);
        var labels = NewBlob("l", 2, 3);
        labels.UploadData([0f, 2f, 3f, 1f, 2f, 0f]);
        var hv = RandomH(802);
        var h = HBlob(hv);
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam, extra: "loss_weight: 1.5"), [scores, labels, h], [top]);
        try
        {
            layer.Forward([scores, labels, h], [top]);
            int? ignore = lossParam.Contains("ignore_label: 2") ? 2 : lossParam.Contains("ignore_label: 0") ? 0 : null;
            var (sum, _, grad) = Reference(scores.DownloadData(), shape, 1, labels.DownloadData(), hv, ignore);
            Assert.That(top.DownloadData()[0], Is.EqualTo(sum / normalizer).Within(1e-4).Percent);
            layer.Backward([top], [true, false, false], [scores, labels, h]);
            AssertClose(scores.DownloadDiff(), grad.Select(g => (float)(g * 1.5 / normalizer)).ToArray(), 1e-5f, "gradient");
        }
        finally { DisposeAll(layer, scores, labels, h, top); }
    }

    [Test]
    public void MatrixFromBinaryProtoFileAndNonDefaultAxis()
    {
        var hv = RandomH(803);
        var path = Path.Combine(Path.GetTempPath(), $"omnivore_infogain_{Guid.NewGuid():N}.binaryproto");
        var proto = new BlobProto { Num = 1, Channels = 1, Height = K, Width = K };
        proto.Data.AddRange(hv);
        File.WriteAllBytes(path, proto.ToByteArray());
        int[] shape = [2, 3, K];  // classes on axis 2 (= -1)
        var scores = RandomBlob("s", 804, -2, 2, shape);
        var labels = NewBlob("l", 2, 3);
        labels.UploadData([3f, 2f, 1f, 0f, 1f, 2f]);
        var top = NewBlob("loss");
        var prob = NewBlob("prob");
        var layer = SetUp(Text(infogain: $"source: '{path}' axis: -1"), [scores, labels], [top, prob]);
        try
        {
            Assert.That(layer.LossWeights, Is.EqualTo(new[] { 1f, 0f }));
            layer.Forward([scores, labels], [top, prob]);
            var s = scores.DownloadData();
            var (sum, valid, _) = Reference(s, shape, 2, labels.DownloadData(), hv, null);
            Assert.That(top.DownloadData()[0], Is.EqualTo(sum / valid).Within(1e-4).Percent);
            AssertClose(prob.DownloadData(), SoftmaxLayerTests.NaiveSoftmax(s, shape, 2), 1e-5f, "prob");
            Assert.That(new GradientChecker().Check(layer, [scores, labels], [top, prob]), Is.EqualTo(scores.Count));
        }
        finally
        {
            DisposeAll(layer, scores, labels, top, prob);
            File.Delete(path);
        }
    }

    [Test]
    public void IdentityMatrixGivesTheSoftmaxLoss()
    {
        var scores = RandomBlob("s", 805, -2, 2, 3, K);
        var scores2 = RandomBlob("s2", 805, -2, 2, 3, K);
        var labels = NewBlob("l", 3);
        labels.UploadData([1f, 3f, 0f]);
        var h = HBlob(Enumerable.Range(0, K * K).Select(i => i % (K + 1) == 0 ? 1f : 0f).ToArray());
        var t1 = NewBlob("ig");
        var t2 = NewBlob("sm");
        var ig = SetUp(Text(), [scores, labels, h], [t1]);
        var sm = SetUp("name: 'sm' type: 'SoftmaxWithLoss'", [scores2, labels], [t2]);
        try
        {
            ig.Forward([scores, labels, h], [t1]);
            sm.Forward([scores2, labels], [t2]);
            Assert.That(t1.DownloadData()[0], Is.EqualTo(t2.DownloadData()[0]).Within(1e-5).Percent);
            ig.Backward([t1], [true, false, false], [scores, labels, h]);
            sm.Backward([t2], [true, false], [scores2, labels]);
            AssertClose(scores.DownloadDiff(), scores2.DownloadDiff(), 1e-6f, "gradient");
        }
        finally
        {
            DisposeAll(ig, scores, labels, h, t1);
            DisposeAll(sm, scores2, t2);
        }
    }

    [TestCase("")]
    [TestCase("ignore_label: 1")]
    [TestCase("normalization: BATCH_SIZE")]
    public void GradientCheck(string lossParam)
    {
        var scores = RandomBlob("s", 806, -2, 2, 2, K, 2);
        var labels = NewBlob("l", 2, 2);
        labels.UploadData([1f, 0f, 3f, 1f]);
        var h = HBlob(RandomH(807));
        var top = NewBlob("loss");
        var layer = SetUp(Text(lossParam), [scores, labels, h], [top]);
        try
        {
            Assert.That(layer.AllowBackwardTo(1) || layer.AllowBackwardTo(2), Is.False);
            Assert.That(new GradientChecker().Check(layer, [scores, labels, h], [top]), Is.EqualTo(scores.Count));
        }
        finally { DisposeAll(layer, scores, labels, h, top); }
    }

    [Test]
    public void Errors()
    {
        var scores = RandomBlob("s", 808, -1, 1, 2, K);
        var labels = NewBlob("l", 2);
        var h = HBlob(RandomH(809));
        var e = Assert.Throws<OmnivoreException>(() => SetUp(Text("normalize: true"), [scores, labels, h], [NewBlob("t")]));
        Assert.That(e!.Message, Does.Contain("'ig'").And.Contain("normalize"));
        e = Assert.Throws<OmnivoreException>(() => SetUp(Text(), [scores, labels], [NewBlob("t")]));
        Assert.That(e!.Message, Does.Contain("source"));
        e = Assert.Throws<OmnivoreException>(() => SetUp(Text(infogain: "source: '/nonexistent/h.binaryproto'"), [scores, labels], [NewBlob("t")]));
        Assert.That(e!.Message, Does.Contain("does not exist"));
        var small = NewBlob("H3", 3, 3);
        e = Assert.Throws<OmnivoreException>(() => SetUp(Text(), [scores, labels, small], [NewBlob("t")]));
        Assert.That(e!.Message, Does.Contain("4 x 4"));

        var top = NewBlob("t");
        var layer = SetUp(Text(), [scores, labels, h], [top]);
        try
        {
            labels.UploadData([0f, 4f]);
            e = Assert.Throws<OmnivoreException>(() => layer.Forward([scores, labels, h], [top]));
            Assert.That(e!.Message, Does.Contain("label 4"));
            labels.UploadData([0f, 1f]);
            layer.Forward([scores, labels, h], [top]);
            Assert.Throws<OmnivoreException>(() => layer.Backward([top], [true, false, true], [scores, labels, h]));
        }
        finally { DisposeAll(layer, scores, labels, h, small, top); }
    }
}
