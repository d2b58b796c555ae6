// GradientChecker: the one numerical gradient check used by every layer test, after
// Caffe's GradientChecker. For a set-up layer it defines a scalar objective
//   E = sum over tops t, elements j of top_t.data[j] * r_t[j]
// with r fixed random weights; for a loss layer r_t is the top's loss weight on loss
// tops and 0 elsewhere, so E = loss * loss_weight. It sets each top diff to r, runs
// Backward once (parameter diffs zeroed first, bottom diffs pre-filled with a sentinel
// so a layer that forgets to write them is caught), then compares the analytic gradient
// of every checked bottom element and every parameter element with a central finite
// difference, using Caffe's relative rule |a - n| <= threshold * max(|a|, |n|, 1).
// Points within kinkRange of |x| = kink are skipped, as Caffe does for ReLU.
using System.Text;
using Omnivore.Core;
using Omnivore.Layers;

namespace Omnivore.Tests.Layers;

public sealed class GradientChecker
{
    private const float Sentinel = 1234.5f;

    public GradientChecker(float step = 1e-2f, float threshold = 1e-2f, int seed = 1701,
                           float kink = 0f, float kinkRange = -1f)
    {
        Step = step;
        Threshold = threshold;
        Seed = seed;
        Kink = kink;
        KinkRange = kinkRange;
    }

    public float Step { get; }
    public float Threshold { get; }
    public int Seed { get; }
    public float Kink { get; }
    public float KinkRange { get; }

    /// <summary>
    /// Checks the gradients of an already set-up layer. bottomsToCheck: indices of the
    /// bottoms to check (null: every bottom the layer can propagate to). Returns the number
    /// of elements compared; fails the test with the first mismatches listed.
    /// </summary>
    public int Check(Layer layer, IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top,
                     IReadOnlyList<int>? bottomsToCheck = null, bool checkParams = true)
    {
        var propagate = new bool[bottom.Count];
        for (int i = 0; i < bottom.Count; i++)
            propagate[i] = (bottomsToCheck is null || bottomsToCheck.Contains(i)) && layer.AllowBackwardTo(i);
        if (bottomsToCheck is not null)
            foreach (var i in bottomsToCheck)
                if (!propagate[i]) throw new ArgumentException($"layer {layer} cannot propagate to bottom {i}");

        var inputs = bottom.Select(b => b.DownloadData()).ToArray();
        RunForward(layer, bottom, top, inputs);
        var r = TopWeights(layer, top);

        // Analytic gradients.
        foreach (var p in layer.Params) p.Device.Set(p.Diff, 0f);
        for (int i = 0; i < bottom.Count; i++)
            if (propagate[i] && !top.Contains(bottom[i])) bottom[i].Device.Set(bottom[i].Diff, Sentinel);
        for (int t = 0; t < top.Count; t++) top[t].UploadDiff(r[t]);
        layer.Backward(top, propagate, bottom);
        var bottomGrad = bottom.Select((b, i) => propagate[i] ? b.DownloadDiff() : null).ToArray();
        var paramGrad = layer.Params.Select(p => p.DownloadDiff()).ToArray();

        var failures = new List<string>();
        int compared = 0, failed = 0;
        void Compare(string what, int index, float x, float analytic, Func<float, double> objective)
        {
            if (KinkRange >= 0 && Math.Abs(Math.Abs(x) - Kink) <= KinkRange) return;
            float xp = x + Step, xm = x - Step;
            double numeric = (objective(xp) - objective(xm)) / ((double)xp - xm);
            double scale = Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), 1.0);
            compared++;
            if (!(Math.Abs(analytic - numeric) <= Threshold * scale))
            {
                failed++;
                if (failures.Count < 12)
                    failures.Add($"{what}[{index}] (x = {x:G5}): analytic {analytic:G6}, numeric {numeric:G6}");
            }
        }

        for (int i = 0; i < bottom.Count; i++)
        {
            if (!propagate[i]) continue;
            var v = inputs[i];
            for (int j = 0; j < v.Length; j++)
            {
                float x = v[j];
                Compare($"bottom {i} '{bottom[i].Name}'", j, x, bottomGrad[i]![j], value =>
                {
                    v[j] = value;
                    try { return RunForward(layer, bottom, top, inputs, r); }
                    finally { v[j] = x; }
                });
            }
        }

        if (checkParams)
        {
            for (int pi = 0; pi < layer.Params.Count; pi++)
            {
                var p = layer.Params[pi];
                var w = p.DownloadData();
                for (int j = 0; j < w.Length; j++)
                {
                    float x = w[j];
                    Compare($"param {pi} '{p.Name}'", j, x, paramGrad[pi][j], value =>
                    {
                        w[j] = value;
                        p.UploadData(w);
                        try { return RunForward(layer, bottom, top, inputs, r); }
                        finally { w[j] = x; p.UploadData(w); }
                    });
                }
            }
        }

        RunForward(layer, bottom, top, inputs);
        if (failed > 0)
        {
            var sb = new StringBuilder($"gradient check of {layer} failed at {failed} of {compared} elements " +
                                       $"(step {Step}, threshold {Threshold}):");
            foreach (var f in failures) sb.Append("\n  ").Append(f);
            Assert.Fail(sb.ToString());
        }
        return compared;
    }

    /// <summary>Uploads the inputs, runs Forward and returns E (when weights are given).</summary>
    private static double RunForward(Layer layer, IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top,
                                     float[][] inputs, float[][]? r = null)
    {
        for (int i = 0; i < bottom.Count; i++) bottom[i].UploadData(inputs[i]);
        layer.Forward(bottom, top);
        if (r is null) return 0;
        double e = 0;
        for (int t = 0; t < top.Count; t++)
        {
            var y = top[t].DownloadData();
            for (int j = 0; j < y.Length; j++) e += (double)y[j] * r[t][j];
        }
        return e;
    }

    /// <summary>Loss weights on loss tops when the layer has any; otherwise random weights in [-1, 1).</summary>
    private float[][] TopWeights(Layer layer, IReadOnlyList<Blob> top)
    {
        bool isLoss = layer.LossWeights.Any(w => w != 0);
        var rng = new Rng(Seed);
        var r = new float[top.Count][];
        for (int t = 0; t < top.Count; t++)
        {
            r[t] = new float[top[t].Count];
            for (int j = 0; j < r[t].Length; j++)
                r[t][j] = isLoss ? layer.LossWeights[t] : rng.Uniform(-1f, 1f);
        }
        return r;
    }
}
