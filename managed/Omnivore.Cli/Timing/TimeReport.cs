// TimeReport: the per-layer table `omnivore time` prints after Caffe's lines: median
// forward and backward ms, the layer's share of the iteration, its GFLOP per iteration
// and achieved GFLOP/s (matrix products only), and for the whole iteration ms, images/s,
// GFLOP/s and the share of the machine's sgemm peak (all threads) from the probe.
using System.Globalization;
using System.Text;
using Omnivore.Native;

namespace Omnivore.Cli.Timing;

public static class TimeReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(NetTiming t, MachinePeak? peak)
    {
        var sb = new StringBuilder();
        double iter = t.MedianIterationMs;
        string what = t.Update ? "forward + backward + update" : "forward + backward";
        sb.AppendLine($"Per layer, medians over {t.Iterations} iterations (share: of the median {what} iteration; " +
                      "GFLOP: matrix products per iteration)");
        sb.AppendLine(string.Format(Inv, "{0,-14} {1,-18} {2,10} {3,10} {4,8} {5,9} {6,9}",
            "layer", "type", "fwd ms", "bwd ms", "share %", "GFLOP", "GFLOP/s"));
        foreach (var l in t.Layers)
        {
            double ms = l.MedianForwardMs + l.MedianBackwardMs;
            sb.AppendLine(string.Format(Inv, "{0,-14} {1,-18} {2,10:F2} {3,10:F2} {4,8:F1} {5,9} {6,9}",
                Clip(l.Name, 14), Clip(l.Type, 18), l.MedianForwardMs, l.MedianBackwardMs, 100 * ms / iter,
                l.Flops > 0 ? (l.Flops / 1e9).ToString("F3", Inv) : "-",
                l.Flops > 0 && ms > 0 ? (l.Flops / (ms / 1000) / 1e9).ToString("F1", Inv) : "-"));
        }
        if (t.Update)
            sb.AppendLine(string.Format(Inv, "{0,-14} {1,-18} {2,10} {3,10:F2} {4,8:F1} {5,9} {6,9}",
                "(update)", "SGD momentum", "-", t.MedianUpdateMs, 100 * t.MedianUpdateMs / iter, "-", "-"));
        sb.AppendLine(string.Format(Inv, "Iteration ({0}), median: {1:F2} ms (forward + backward {2:F2} ms), {3:F1} images/s (batch {4}), " +
            "{5:G4} GFLOP ({6:G4} per image: forward {7:G4}, backward {8:G4}), {9:F1} GFLOP/s",
            what, iter, t.MedianForwardBackwardMs, t.ImagesPerSecond, t.BatchSize, t.Flops / 1e9,
            t.Flops / t.BatchSize / 1e9, t.ForwardFlops / t.BatchSize / 1e9, t.BackwardFlops / t.BatchSize / 1e9, t.Gflops));
        if (peak is not null)
            sb.AppendLine(string.Format(Inv, "Share of peak: {0:F1}% of the sgemm peak ({1:F1} GFLOP/s, {2}^3, {3} threads), " +
                "{4:F1}% of the FMA peak ({5:F1} GFLOP/s, {6}); from `omnivore probe`",
                100 * t.Gflops / peak.SgemmGflopsAll, peak.SgemmGflopsAll, peak.SgemmSize, peak.Threads,
                100 * t.Gflops / peak.FmaGflopsAll, peak.FmaGflopsAll, peak.Isa));
        return sb.ToString();
    }

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "~";
}
