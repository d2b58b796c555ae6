// Tests for SgdSolver's update rule against a naive reference written here: a one-layer
// softmax classifier whose gradient is computed by hand, then momentum SGD with weight
// decay and per-parameter lr_mult/decay_mult over several steps (history carried),
// iter_size gradient averaging over passes with different data, and clip_gradients
// (applied, as in Caffe, to the accumulated gradient before the iter_size average);
// L1 and L2 regularisation through the shared rule harness, the regularization_type
// check, and the .solverstate layout (one momentum blob per parameter) with an exact
// continuation after restore.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class SgdSolverTests
{
    internal const int N = 3, K = 4, C = 3;

    /// <summary>Input (N, K) and labels, then InnerProduct (C outputs) and SoftmaxWithLoss.</summary>
    internal const string InputNet = """
        name: "sgd"
        layer { name: "in" type: "Input" top: "data" top: "label"
                input_param { shape { dim: 3 dim: 4 } shape { dim: 3 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                param { lr_mult: 0.5 decay_mult: 2 } param { lr_mult: 2 decay_mult: 0 }
                inner_product_param { num_output: 3 } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    internal static readonly float[] X = [0.5f, -1f, 2f, 0.25f, 1f, 0f, -0.5f, 1.5f, -2f, 0.75f, 1f, -1f];
    internal static readonly float[] Labels = [2, 0, 1];
    internal static readonly float[] W0 = [0.1f, -0.2f, 0.3f, 0f, -0.1f, 0.4f, 0.2f, -0.3f, 0.05f, 0.15f, -0.25f, 0.35f];
    internal static readonly float[] B0 = [0.1f, -0.1f, 0.2f];

    internal static SolverParameter Param(string text) => TextFormat.Parse<SolverParameter>(text, "solver.prototxt");

    internal static SgdSolver Solver(string netText, string solverText, long seed = 1)
    {
        var p = Param(solverText);
        p.RandomSeed = seed;
        var net = new Net(TextFormat.Parse<NetParameter>(netText, "net.prototxt"), CpuFixture.Device, new Rng(seed),
                          new NetState { Phase = Phase.Train });
        return new SgdSolver(p, net, []);
    }

    internal static SgdSolver InputSolver(string solverText)
    {
        var s = Solver(InputNet, solverText);
        s.Net.Blob("data").UploadData(X);
        s.Net.Blob("label").UploadData(Labels);
        s.Net.Layer("ip").Params[0].UploadData(W0);
        s.Net.Layer("ip").Params[1].UploadData(B0);
        return s;
    }

    /// <summary>The gradient of the mean softmax loss with respect to W (C, K) and b (C).</summary>
    internal static (double[] GW, double[] GB) Gradient(double[] w, double[] b, float[] x, float[] labels)
    {
        var gw = new double[C * K];
        var gb = new double[C];
        for (int n = 0; n < N; n++)
        {
            var s = new double[C];
            for (int j = 0; j < C; j++)
            {
                s[j] = b[j];
                for (int k = 0; k < K; k++) s[j] += x[n * K + k] * w[j * K + k];
            }
            double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < C; j++)
            {
                double d = (Math.Exp(s[j] - max) / sum - (j == (int)labels[n] ? 1 : 0)) / N;
                gb[j] += d;
                for (int k = 0; k < K; k++) gw[j * K + k] += d * x[n * K + k];
            }
        }
        return (gw, gb);
    }

    private static double[] D(float[] a) => a.Select(v => (double)v).ToArray();

    private static void AssertClose(float[] actual, double[] expected, string what) =>
        Assert.That(actual, Is.EqualTo(expected.Select(v => (float)v).ToArray()).Within(2e-6), what);

    [Test]
    public void MomentumWeightDecayAndMultipliersOverThreeSteps()
    {
        const double lr = 0.1, momentum = 0.9, wd = 0.01;
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.01 max_iter: 10");
        double[] w = D(W0), b = D(B0), hw = new double[w.Length], hb = new double[b.Length];
        for (int step = 1; step <= 3; step++)
        {
            var (gw, gb) = Gradient(w, b, X, Labels);
            // weights: lr_mult 0.5, decay_mult 2; bias: lr_mult 2, decay_mult 0
            for (int i = 0; i < w.Length; i++)
            {
                hw[i] = momentum * hw[i] + lr * 0.5 * (gw[i] + wd * 2 * w[i]);
                w[i] -= hw[i];
            }
            for (int i = 0; i < b.Length; i++)
            {
                hb[i] = momentum * hb[i] + lr * 2 * (gb[i] + wd * 0 * b[i]);
                b[i] -= hb[i];
            }
            solver.Step(1);
            Assert.That(solver.Iter, Is.EqualTo(step));
            AssertClose(solver.Net.Layer("ip").Params[0].DownloadData(), w, $"weights after step {step}");
            AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(), b, $"bias after step {step}");
        }
        var history = new float[solver.History.Length];
        CpuFixture.Device.Download(history, solver.History);
        AssertClose(history, hw.Concat(hb).ToArray(), "momentum history");
    }

    /// <summary>The update clears the gradients for the next iteration in its own pass; with
    /// snapshot_diff the diffs keep the update values until then, as in Caffe (they go into
    /// the snapshot). The weights move the same either way.</summary>
    [TestCase(false)]
    [TestCase(true)]
    public void UpdateClearsTheGradientsUnlessSnapshotDiffWantsThem(bool snapshotDiff)
    {
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.01 max_iter: 10" +
                                       (snapshotDiff ? " snapshot_diff: true" : ""));
        using var reference = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.01 max_iter: 10 snapshot_diff: true");
        solver.Step(2);
        reference.Step(2);
        var arena = solver.Net.Arena;
        var diff = new float[arena.Count];
        CpuFixture.Device.Download(diff, arena.Diff);
        var history = new float[solver.History.Length];
        CpuFixture.Device.Download(history, solver.History);
        if (snapshotDiff)
            Assert.That(diff, Is.EqualTo(history), "the diffs hold the last update (momentum SGD: the history)");
        else
            Assert.That(diff, Is.All.EqualTo(0f), "the diffs are cleared by the update");
        for (int p = 0; p < 2; p++)
            Assert.That(solver.Net.Layer("ip").Params[p].DownloadData(), Is.EqualTo(reference.Net.Layer("ip").Params[p].DownloadData()),
                $"param {p} after two steps");
    }

    [Test]
    public void ParamWithLrMultZeroNeverMoves()
    {
        // Weight decay and momentum must not move it either: h = m*h + lr*0*(g + wd*w) stays 0.
        using var frozen = Solver(InputNet.Replace("lr_mult: 2 decay_mult: 0", "lr_mult: 0 decay_mult: 1"),
                                  "base_lr: 0.5 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.1 max_iter: 10");
        frozen.Net.Blob("data").UploadData(X);
        frozen.Net.Blob("label").UploadData(Labels);
        frozen.Net.Layer("ip").Params[1].UploadData(B0);
        frozen.Step(2);
        Assert.That(frozen.Net.Layer("ip").Params[1].DownloadData(), Is.EqualTo(B0));
        Assert.That(frozen.Net.Layer("ip").Params[0].DownloadData(), Has.Some.Not.EqualTo(0f), "the weights still learn");
    }

    [Test]
    public void IterSizeAveragesTheGradientsOfItsPasses()
    {
        // DummyData refills its uniform data every forward, so the two passes of one iteration
        // see different batches. Replay the layer's draws from the same seed to know them.
        const long seed = 42;
        string net = InputNet.Replace("""
            layer { name: "in" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 3 dim: 4 } shape { dim: 3 } } }
            """, """
            layer { name: "in" type: "DummyData" top: "data" top: "label"
                    dummy_data_param { shape { dim: 3 dim: 4 } shape { dim: 3 }
                                       data_filler { type: "uniform" min: -2 max: 2 } data_filler { type: "constant" value: 1 } } }
            """);
        Assert.That(net, Does.Contain("DummyData"));
        using var solver = Solver(net, "base_lr: 0.2 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.01 iter_size: 2 max_iter: 10", seed);
        solver.Net.Layer("ip").Params[0].UploadData(W0);
        solver.Net.Layer("ip").Params[1].UploadData(B0);
        // DummyData fills on the device with one seed per fill drawn from the run's Rng.
        var replay = new Rng(seed);
        float[] Draw()
        {
            using var blob = new Blob(solver.Net.Device, "replay", N, K);
            solver.Net.Device.FillUniform(blob.Data, -2, 2, replay.NextSeed());
            return blob.DownloadData();
        }
        Draw(); // the fill at set-up, replaced by the first forward
        var x1 = Draw();
        var x2 = Draw();
        float[] labels = [1, 1, 1];

        solver.Step(1);
        Assert.That(solver.Net.Blob("data").DownloadData(), Is.EqualTo(x2), "the replayed draws match the layer's");
        var (g1w, g1b) = Gradient(D(W0), D(B0), x1, labels);
        var (g2w, g2b) = Gradient(D(W0), D(B0), x2, labels);
        var w = W0.Select((v, i) => v - 0.2 * 0.5 * ((g1w[i] + g2w[i]) / 2 + 0.01 * 2 * v)).ToArray();
        var b = B0.Select((v, i) => v - 0.2 * 2 * ((g1b[i] + g2b[i]) / 2)).ToArray();
        AssertClose(solver.Net.Layer("ip").Params[0].DownloadData(), w, "weights");
        AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(), b, "bias");
    }

    private static double Norm(double[] a, double[] b) => Math.Sqrt(a.Concat(b).Sum(v => v * v));

    [TestCase(0.05, true)]
    [TestCase(1000, false)]
    public void ClipGradientsScalesByClipOverNorm(double clip, bool clips)
    {
        using var solver = InputSolver(FormattableString.Invariant($"base_lr: 0.1 lr_policy: \"fixed\" clip_gradients: {clip} max_iter: 10"));
        var (gw, gb) = Gradient(D(W0), D(B0), X, Labels);
        double norm = Norm(gw, gb);
        Assert.That(norm, Is.GreaterThan(0.05).And.LessThan(1000), "the test's gradient lies between the two thresholds");
        double factor = clips ? clip / norm : 1;
        solver.Step(1);
        AssertClose(solver.Net.Layer("ip").Params[0].DownloadData(),
                    W0.Select((v, i) => v - 0.1 * 0.5 * gw[i] * factor).ToArray(), "weights");
        AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(),
                    B0.Select((v, i) => v - 0.1 * 2 * gb[i] * factor).ToArray(), "bias");
    }

    [Test]
    public void ClipGradientsActsOnTheSumOverIterSizeAsCaffeDoes()
    {
        // Caffe's ApplyUpdate clips first and divides by iter_size after, so with identical
        // passes the clipped update is half that of iter_size 1.
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" clip_gradients: 0.05 iter_size: 2 max_iter: 10");
        var (gw, gb) = Gradient(D(W0), D(B0), X, Labels);
        double factor = 0.05 / (2 * Norm(gw, gb));
        solver.Step(1);
        AssertClose(solver.Net.Layer("ip").Params[0].DownloadData(),
                    W0.Select((v, i) => v - 0.1 * 0.5 * (2 * gw[i] * factor) / 2).ToArray(), "weights");
        AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(),
                    B0.Select((v, i) => v - 0.1 * 2 * (2 * gb[i] * factor) / 2).ToArray(), "bias");
    }

    [Test]
    public void LearningRatePolicyIsEvaluatedAtTheCurrentIteration()
    {
        // step policy: lr 0.1 for iteration 0, 0.01 from iteration 1 on (no momentum).
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"step\" gamma: 0.1 stepsize: 1 max_iter: 10");
        double[] w = D(W0), b = D(B0);
        foreach (var lr in new[] { 0.1, 0.01 })
        {
            var (gw, gb) = Gradient(w, b, X, Labels);
            for (int i = 0; i < w.Length; i++) w[i] -= lr * 0.5 * gw[i];
            for (int i = 0; i < b.Length; i++) b[i] -= lr * 2 * gb[i];
            solver.Step(1);
        }
        AssertClose(solver.Net.Layer("ip").Params[0].DownloadData(), w, "weights");
        AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(), b, "bias");
    }

    private static readonly SolverRuleHarness.Rule MomentumRule = (double g, ref double h, ref double _, double lr, int iter) =>
    {
        h = 0.9 * h + lr * g;
        return h;
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void RegularisationMatchesTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("SGD", "base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.05 " +
                                                           $"regularization_type: \"{regularization}\" max_iter: 10");
        Assert.That(solver, Is.InstanceOf<SgdSolver>());
        SolverRuleHarness.CheckThreeSteps(solver, MomentumRule, _ => 0.1);
    }

    [Test]
    public void L1AddsTheSignOfTheWeightsAndNothingAtZero()
    {
        // W0[3] is 0: sign(0) = 0, so with no gradient there it stays 0 under L1 only.
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" weight_decay: 0.5 regularization_type: \"L1\" max_iter: 10");
        var (gw, _) = Gradient(D(W0), D(B0), X, Labels);
        solver.Step(1);
        var w = solver.Net.Layer("ip").Params[0].DownloadData();
        for (int i = 0; i < W0.Length; i++)
        {
            double sign = W0[i] > 0 ? 1 : W0[i] < 0 ? -1 : 0;
            Assert.That(w[i], Is.EqualTo(W0[i] - 0.1 * 0.5 * (gw[i] + 0.5 * 2 * sign)).Within(2e-6), $"weight {i}");
        }
    }

    [Test]
    public void UnknownRegularizationTypeIsAnErrorWhenWeightDecayIsUsed()
    {
        var e = Assert.Throws<OmnivoreException>(() =>
            InputSolver("base_lr: 0.1 lr_policy: \"fixed\" weight_decay: 0.01 regularization_type: \"L3\" max_iter: 10"));
        Assert.That(e!.Message, Does.Contain("'L3'").And.Contain("L1").And.Contain("L2"));
        // Caffe only looks at the type when there is a decay to apply.
        using var solver = InputSolver("base_lr: 0.1 lr_policy: \"fixed\" regularization_type: \"L3\" max_iter: 10");
        solver.Step(1);
    }

    [Test]
    public void SnapshotHoldsOneBlobPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("SGD", "base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 weight_decay: 0.01 max_iter: 10", 1, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void LossDecreasesOnAFixedBatch()
    {
        using var solver = InputSolver("base_lr: 0.5 lr_policy: \"fixed\" momentum: 0.9 max_iter: 50");
        float first = solver.Net.Forward();
        solver.Step(30);
        Assert.That(solver.Net.Forward(), Is.LessThan(first * 0.5f));
        Assert.That(solver.SmoothedLoss, Is.GreaterThan(0));
    }
}
