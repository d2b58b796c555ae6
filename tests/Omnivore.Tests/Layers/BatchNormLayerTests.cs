// BatchNormLayerTests: BatchNormLayer against a naive per-channel reference: TRAIN
// forward (batch mean, biased variance), the running sums after several batches (Caffe's
// moving-average factor and m/(m-1) correction), global statistics (TEST default,
// use_global_stats, a zero factor), backward in both modes (Caffe's formulas), in-place
// use, 2-D and 1-D bottoms; Caffe's three-blob layout; the statistics never being
// updated by the solver (lr_mult forced to 0; a non-zero lr_mult rejected); gradient checks.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class BatchNormLayerTests
{
    private static readonly int[] Shape = [3, 2, 2, 3];
    private const float Eps = 1e-5f;

    private static string Text(string p = "") => $"name: 'bn' type: 'BatchNorm' batch_norm_param {{ {p} }}";

    /// <summary>Per-channel mean and biased variance of x (N, C, spatial) in double.</summary>
    private static (double[] Mean, double[] Var) Stats(float[] x, int n, int c, int s)
    {
        var mean = new double[c];
        var var = new double[c];
        for (int k = 0; k < x.Length; k++) mean[k / s % c] += x[k];
        for (int ch = 0; ch < c; ch++) mean[ch] /= n * s;
        for (int k = 0; k < x.Length; k++) var[k / s % c] += Math.Pow(x[k] - mean[k / s % c], 2);
        for (int ch = 0; ch < c; ch++) var[ch] /= n * s;
        return (mean, var);
    }

    private static float[] Normalise(float[] x, double[] mean, double[] var, int c, int s, float eps = Eps) =>
        x.Select((v, k) => (float)((v - mean[k / s % c]) / Math.Sqrt(var[k / s % c] + eps))).ToArray();

    [Test]
    public void TrainForwardNormalisesWithBatchStatisticsAndAccumulatesRunningSums()
    {
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text("moving_average_fraction: 0.9"), [bottom], [top]);
        try
        {
            Assert.That(layer.Params.Select(p => p.Shape.ToArray()), Is.EqualTo(new[] { new[] { 2 }, new[] { 2 }, new[] { 1 } }));
            foreach (var p in layer.Params) Assert.That(p.DownloadData(), Is.All.EqualTo(0f));
            double factor = 0;
            var meanSum = new double[2];
            var varSum = new double[2];
            int m = 3 * 6;
            for (int iter = 0; iter < 3; iter++)
            {
                var x = RandomValues(bottom.Count, 10 + iter, -1 + iter, 2 + iter);
                bottom.UploadData(x);
                layer.Forward([bottom], [top]);
                var (mean, var) = Stats(x, 3, 2, 6);
                AssertClose(top.DownloadData(), Normalise(x, mean, var, 2, 6), 2e-5f, $"forward {iter}");
                factor = 0.9 * factor + 1;
                for (int c = 0; c < 2; c++)
                {
                    meanSum[c] = 0.9 * meanSum[c] + mean[c];
                    varSum[c] = 0.9 * varSum[c] + var[c] * m / (m - 1);
                }
                AssertClose(layer.Params[0].DownloadData(), meanSum.Select(v => (float)v).ToArray(), 1e-5f, $"mean sum {iter}");
                AssertClose(layer.Params[1].DownloadData(), varSum.Select(v => (float)v).ToArray(), 1e-5f, $"variance sum {iter}");
                AssertClose(layer.Params[2].DownloadData(), [(float)factor], 1e-6f, $"factor {iter}");
            }
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(Phase.Test, "")]
    [TestCase(Phase.Train, "use_global_stats: true")]
    public void GlobalStatisticsAreTheRunningSumsOverTheFactor(Phase phase, string p)
    {
        var bottom = RandomBlob("x", 20, -2, 2, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p + " eps: 0.001"), [bottom], [top], phase);
        try
        {
            layer.Params[0].UploadData([1.0f, -0.5f]);
            layer.Params[1].UploadData([2.0f, 0.8f]);
            layer.Params[2].UploadData([4f]);
            layer.Forward([bottom], [top]);
            var x = bottom.DownloadData();
            AssertClose(top.DownloadData(), Normalise(x, [0.25, -0.125], [0.5, 0.2], 2, 6, 1e-3f), 1e-5f, "global");
            AssertClose(layer.Params[2].DownloadData(), [4f], 0f, "statistics untouched");

            // Backward: dx = dy / sqrt(var + eps).
            var dy = RandomValues(top.Count, 21, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(),
                        dy.Select((g, k) => (float)(g / Math.Sqrt((k / 6 % 2 == 0 ? 0.5 : 0.2) + 1e-3))).ToArray(), 1e-5f, "global backward");

            layer.Params[2].UploadData([0f]);   // never trained: mean 0, variance 0
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), x.Select(v => v / MathF.Sqrt(1e-3f)).ToArray(), 1e-5f, "zero factor");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void TrainBackwardFollowsCaffesFormula()
    {
        var bottom = RandomBlob("x", 30, -1, 3, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(), [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            var y = top.DownloadData();
            var dy = RandomValues(top.Count, 31, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            var (_, var) = Stats(bottom.DownloadData(), 3, 2, 6);
            var m1 = new double[2];
            var m2 = new double[2];
            for (int k = 0; k < dy.Length; k++) { m1[k / 6 % 2] += dy[k] / 18.0; m2[k / 6 % 2] += dy[k] * y[k] / 18.0; }
            var expected = dy.Select((g, k) =>
            {
                int c = k / 6 % 2;
                return (float)((g - m1[c] - m2[c] * y[k]) / Math.Sqrt(var[c] + Eps));
            }).ToArray();
            AssertClose(bottom.DownloadDiff(), expected, 1e-4f, "train backward");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(Phase.Train)]
    [TestCase(Phase.Test)]
    public void InPlaceMatchesOutOfPlace(Phase phase)
    {
        var x = RandomValues(36, 40, -1, 2);
        var dy = RandomValues(36, 41, -1, 1);
        var a = NewBlob("a", Shape);
        var b = NewBlob("b");
        var blob = NewBlob("x", Shape);
        var l1 = SetUp(Text(), [a], [b], phase);
        var l2 = SetUp(Text(), [blob], [blob], phase);
        try
        {
            foreach (var l in new[] { l1, l2 })
            {
                l.Params[0].UploadData([0.5f, 1f]);
                l.Params[1].UploadData([3f, 1f]);
                l.Params[2].UploadData([2f]);
            }
            a.UploadData(x);
            blob.UploadData(x);
            l1.Forward([a], [b]);
            l2.Forward([blob], [blob]);
            AssertClose(blob.DownloadData(), b.DownloadData(), 1e-6f, "forward");
            b.UploadDiff(dy);
            blob.UploadDiff(dy);
            l1.Backward([b], [true], [a]);
            l2.Backward([blob], [true], [blob]);
            AssertClose(blob.DownloadDiff(), a.DownloadDiff(), 1e-5f, "backward");
        }
        finally { DisposeAll(l1, a, b); DisposeAll(l2, blob); }
    }

    [TestCase(new[] { 4, 3 })]
    [TestCase(new[] { 5 })]
    public void LowRankBottoms(int[] shape)
    {
        var bottom = RandomBlob("x", 50, -1, 1, shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(), [bottom], [top]);
        try
        {
            int c = shape.Length == 1 ? 1 : shape[1];
            Assert.That(layer.Params[0].Shape, Is.EqualTo(new[] { c }));
            layer.Forward([bottom], [top]);
            var (mean, var) = Stats(bottom.DownloadData(), shape[0], c, 1);
            AssertClose(top.DownloadData(), Normalise(bottom.DownloadData(), mean, var, c, 1), 2e-5f, "low rank");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void ChannelCountMayNotChange()
    {
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(), [bottom], [top]);
        try
        {
            bottom.Reshape(3, 4, 2, 3);
            var e = Assert.Throws<OmnivoreException>(() => layer.Reshape([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'bn'").And.Contain("4 channels"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(Phase.Train, true)]
    [TestCase(Phase.Test, false)]
    public void GradientCheck(Phase phase, bool trainMode)
    {
        var bottom = RandomBlob("x", 60, -1, 2, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(), [bottom], [top], phase);
        try
        {
            if (!trainMode)
            {
                layer.Params[0].UploadData([0.5f, 1f]);
                layer.Params[1].UploadData([3f, 1f]);
                layer.Params[2].UploadData([2f]);
            }
            // The statistics are not learned: no parameter gradient is checked.
            int n = new GradientChecker(step: 1e-3f, threshold: 1e-2f).Check(layer, [bottom], [top], checkParams: false);
            Assert.That(n, Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void NonZeroLrMultIsRejected()
    {
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var layer = Create("name: 'bn' type: 'BatchNorm' param { lr_mult: 0 } param { lr_mult: 1 }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("Cannot configure batch normalization statistics"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    private const string BnNet = """
        name: "bn"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 4 dim: 3 dim: 2 dim: 2 } shape { dim: 4 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 2 kernel_size: 1 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" param { lr_mult: 0 } }
        layer { name: "scale" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip"
                inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    [Test]
    public void SolverNeverUpdatesTheStatistics()
    {
        var p = TextFormat.Parse<SolverParameter>("base_lr: 0.5 momentum: 0.9 weight_decay: 0.1 lr_policy: 'fixed'", "solver");
        p.RandomSeed = 3;
        var net = new Net(TextFormat.Parse<NetParameter>(BnNet, "net"), CpuFixture.Device, new Rng(3), new NetState { Phase = Phase.Train });
        using var solver = new SgdSolver(p, net, []);
        net.Blob("data").UploadData(RandomValues(48, 70, -1, 1));
        net.Blob("label").UploadData([0f, 1f, 2f, 1f]);
        var bn = net.Layer("bn");
        foreach (var e in net.Arena.Entries.Where(e => e.LayerName == "bn"))
        {
            Assert.That(e.LrMult, Is.EqualTo(0f), $"bn param {e.Index} lr_mult");
            Assert.That(e.DecayMult, Is.EqualTo(0f), $"bn param {e.Index} decay_mult");
        }
        Assert.That(net.Arena.Entries.Where(e => e.LayerName == "scale").Select(e => e.LrMult), Is.All.EqualTo(1f));
        var scaleBefore = net.Layer("scale").Params[0].DownloadData();
        solver.Step(3);
        // After 3 forward passes the statistics are exactly the moving averages of the batches:
        // the solver's update (with momentum and weight decay) left them alone.
        Assert.That(bn.Params[2].DownloadData()[0], Is.EqualTo(1f + 0.999f * (1f + 0.999f)).Within(1e-5f));
        var scaleAfter = net.Layer("scale").Params[0].DownloadData();
        Assert.That(scaleAfter, Is.Not.EqualTo(scaleBefore), "the Scale layer after it does learn");
    }
}
