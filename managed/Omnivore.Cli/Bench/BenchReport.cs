// BenchReport: the macro harness's results and how they are printed and saved: one block
// per workload with Omnivore's measured rows (per convolution mode) and the recorded rows
// of other systems, images/s, GFLOP/s, share of the sgemm peak (the largest sample, the
// median sample, and per round the samples around the round), and ratios; then the
// share of each non-GEMM layer in the iteration, and each conv layer's time per mode
// against Caffe's strategy; plus JSON and CSV files of the rows.
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Omnivore.Cli.Timing;
using Omnivore.Core;
using Omnivore.Native;

namespace Omnivore.Cli.Bench;

/// <summary>One measured (workload, mode) result; times are medians over the timed iterations.</summary>
public sealed record BenchResult(
    string Workload, string NetFile, string Mode, int Batch, int Iterations, int Warmup, int Threads,
    double IterationMs, double ForwardBackwardMs, double UpdateMs, double ImagesPerSecond,
    double GflopPerImage, double Gflops, double PercentOfSgemmPeak,
    IReadOnlyList<LayerShare> Layers)
{
    /// <summary>Interleaved rounds the iterations were timed in (bench --rounds).</summary>
    public int Rounds { get; init; } = 1;

    /// <summary>Per round: the round's GFLOP/s as a % of the sgemm sample taken right before or right
    /// after it, whichever is larger (see PairedPercent); empty when not measured.</summary>
    public IReadOnlyList<double> PairedPercents { get; init; } = [];

    /// <summary>Median of PairedPercents (NaN when there are none).</summary>
    public double PairedPercentMedian => PairedPercents.Count == 0 ? double.NaN : Stats.Median(PairedPercents.ToArray());

    /// <summary>A round's GFLOP/s against the machine's sgemm speed at that time: the larger of the
    /// samples bracketing the round (the machine was at least that fast then).</summary>
    public static double PairedPercent(double gflops, double sgemmBefore, double sgemmAfter) =>
        100 * gflops / Math.Max(sgemmBefore, sgemmAfter);

    public static BenchResult From(string workload, string netFile, string mode, int warmup, int threads, NetTiming t, MachinePeak? peak)
    {
        double iter = t.MedianIterationMs;
        var layers = t.Layers.Select(l => new LayerShare(l.Name, l.Type, l.MedianForwardMs, l.MedianBackwardMs,
            100 * (l.MedianForwardMs + l.MedianBackwardMs) / iter, l.Flops / 1e9)).ToList();
        if (t.Update) layers.Add(new LayerShare("(update)", "SGD momentum", 0, t.MedianUpdateMs, 100 * t.MedianUpdateMs / iter, 0));
        return new BenchResult(workload, netFile, mode, t.BatchSize, t.Iterations, warmup, threads, iter, t.MedianForwardBackwardMs,
            t.MedianUpdateMs, t.ImagesPerSecond, t.Flops / t.BatchSize / 1e9, t.Gflops,
            peak is null ? double.NaN : 100 * t.Gflops / peak.SgemmGflopsAll, layers);
    }

    /// <summary>The same result against another peak (the one measured in the run).</summary>
    public BenchResult WithPeak(MachinePeak? peak) =>
        this with { PercentOfSgemmPeak = peak is null ? double.NaN : 100 * Gflops / peak.SgemmGflopsAll };
}

/// <summary>A layer's median ms and share (%) of the iteration, and its GFLOP per iteration.</summary>
public sealed record LayerShare(string Name, string Type, double ForwardMs, double BackwardMs, double SharePercent, double Gflop);

[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(List<BenchResult>))]
internal sealed partial class BenchJson : JsonSerializerContext;

public static class BenchReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string Row = "{0,-34} {1,-14} {2,10} {3,10} {4,9} {5,9} {6,13}";

    /// <summary>Layer types whose work is a matrix product (the rest are "non-GEMM").</summary>
    public static bool IsGemm(string type) => type is "Convolution" or "Deconvolution" or "InnerProduct";

    public static string Format(IReadOnlyList<BenchResult> results, RecordedFigures recorded, MachinePeak? peak)
    {
        var sb = new StringBuilder();
        if (peak is not null)
            sb.AppendLine(string.Format(Inv, "Machine: {0}; sgemm peak {1:F1} GFLOP/s on {2} threads ({3}; {4:F1} on 1 from the probe); " +
                "FMA peak {5:F1} GFLOP/s ({6}).", peak.CpuModel, peak.SgemmGflopsAll, peak.Threads,
                double.IsNaN(peak.SgemmMedianInRun) ? "measured in this run"
                    : string.Format(Inv, "the largest sample in this run, median {0:F1}", peak.SgemmMedianInRun),
                peak.SgemmGflops1, peak.FmaGflopsAll, peak.Isa));
        if (recorded.Peaks.Count > 0)
            sb.AppendLine("Recorded on this kind of machine (RECORDED.md, not measured in this run): " +
                          string.Join("; ", recorded.Peaks.Select(p => $"{p.What}: {p.Figure}")));
        foreach (var group in results.GroupBy(r => r.Workload))
        {
            var rows = group.ToList();
            var first = rows[0];
            sb.AppendLine();
            string timed = first.Rounds > 1
                ? $"{first.Iterations} iterations in {first.Rounds} interleaved rounds, each after {first.Warmup} warm-up"
                : $"{first.Iterations} iterations after {first.Warmup} warm-up";
            sb.AppendLine(string.Format(Inv, "== {0} ({1}, batch {2}): {3:G4} GFLOP per image; medians of {4}, {5} threads",
                group.Key, first.NetFile, first.Batch, first.GflopPerImage, timed, first.Threads));
            // The reference row: the engine's own choice ("auto", what `train` runs), else batched.
            var batched = rows.FirstOrDefault(r => r.Mode == ConvModes.Auto) ?? rows.FirstOrDefault(r => r.Mode == ConvModes.Batched);
            sb.AppendLine(string.Format(Inv, Row, "source", "timed", "ms/iter", "images/s", "GFLOP/s", "% peak", $"{batched?.Mode ?? "-"} ÷ row"));
            foreach (var r in rows)
            {
                sb.AppendLine(Line($"Omnivore {r.Mode} (measured)", "fwd+bwd+upd", r.IterationMs, r.ImagesPerSecond, r.Gflops, r.PercentOfSgemmPeak,
                    batched is null ? double.NaN : batched.ImagesPerSecond / r.ImagesPerSecond));
                double fbIps = r.Batch / (r.ForwardBackwardMs / 1000);
                sb.AppendLine(Line($"Omnivore {r.Mode} (measured)", "fwd+bwd", r.ForwardBackwardMs, fbIps, r.GflopPerImage * fbIps,
                    peak is null ? double.NaN : 100 * r.GflopPerImage * fbIps / peak.SgemmGflopsAll,
                    batched is null ? double.NaN : batched.Batch / (batched.ForwardBackwardMs / 1000) / fbIps));
            }
            var key = RecordedFigures.Key(group.Key);
            foreach (var s in recorded.Systems)
            {
                if (!s.Cells.TryGetValue(key, out var cell)) continue;
                bool upd = s.IncludesUpdate ?? false;
                double ours = batched is null ? double.NaN
                    : upd ? batched.ImagesPerSecond : batched.Batch / (batched.ForwardBackwardMs / 1000);
                sb.AppendLine(Line($"{s.Name} (recorded)", upd ? "incl. update" : "fwd+bwd", cell.Ms, cell.ImagesPerSecond,
                    first.GflopPerImage * cell.ImagesPerSecond, double.NaN, ours / cell.ImagesPerSecond));
            }
            var modes = rows.ToDictionary(r => r.Mode);
            if (peak is not null && !double.IsNaN(peak.SgemmMedianInRun) && peak.SgemmMedianInRun > 0)
                sb.AppendLine(string.Format(Inv, "% of the median sgemm sample ({0:F1} GFLOP/s; median against median, where % peak above is against the largest): {1}",
                    peak.SgemmMedianInRun, string.Join(", ", rows.Select(r => string.Format(Inv, "{0} {1:F1}%", r.Mode, 100 * r.Gflops / peak.SgemmMedianInRun)))));
            var paired = rows.Where(r => r.PairedPercents.Count > 0).ToList();
            if (paired.Count > 0)
                sb.AppendLine("% of the sgemm sample right before or after each round (the larger; median over rounds): " + string.Join(", ",
                    paired.Select(r => string.Format(Inv, "{0} {1:F1}% (rounds {2})", r.Mode, r.PairedPercentMedian,
                        string.Join(", ", r.PairedPercents.Select(p => p.ToString("F1", Inv)))))));
            if (modes.TryGetValue(ConvModes.Caffe, out var c))
            {
                foreach (var b in rows.Where(r => r.Mode != ConvModes.Caffe))
                    sb.AppendLine(string.Format(Inv, "{0} / Caffe-strategy ratio (measured side by side): {1:F2}x images/s", b.Mode, b.ImagesPerSecond / c.ImagesPerSecond));
                sb.Append(ConvLayers(rows, c));
            }
            else
                sb.AppendLine("ratio to Caffe's strategy: n/a (the caffe mode was not run)");
            foreach (var r in rows)
            {
                var nonGemm = r.Layers.Where(l => !IsGemm(l.Type)).OrderByDescending(l => l.SharePercent).ToList();
                sb.AppendLine(string.Format(Inv, "non-GEMM layers, {0}: {1:F1}% of the iteration in all; largest: {2}", r.Mode,
                    nonGemm.Sum(l => l.SharePercent),
                    string.Join(", ", nonGemm.Where(l => l.SharePercent >= 0.5).Select(l => string.Format(Inv, "{0} {1:F1}%", l.Name, l.SharePercent)))));
            }
        }
        return sb.ToString();
    }

    /// <summary>Each conv layer's forward + backward ms per mode, and Caffe's strategy ÷ it (above 1: faster than Caffe's).</summary>
    private static string ConvLayers(IReadOnlyList<BenchResult> rows, BenchResult caffe)
    {
        var sb = new StringBuilder();
        foreach (var layer in caffe.Layers.Where(l => l.Type == "Convolution"))
        {
            double caffeMs = layer.ForwardMs + layer.BackwardMs;
            var cells = rows.Where(r => r.Mode != ConvModes.Caffe).Select(r =>
            {
                var l = r.Layers.FirstOrDefault(x => x.Name == layer.Name);
                double ms = l is null ? double.NaN : l.ForwardMs + l.BackwardMs;
                return string.Format(Inv, "{0} {1:F1} ms ({2:F2}x)", r.Mode, ms, caffeMs / ms);
            });
            sb.AppendLine(string.Format(Inv, "  {0}, fwd+bwd: caffe {1:F1} ms; {2}", layer.Name, caffeMs, string.Join("; ", cells)));
        }
        return sb.ToString();
    }

    private static string Line(string source, string timed, double ms, double ips, double gflops, double pct, double ratio) =>
        string.Format(Inv, Row, source, timed, ms.ToString("F1", Inv), ips.ToString("F1", Inv), gflops.ToString("F1", Inv),
            double.IsNaN(pct) ? "-" : pct.ToString("F1", Inv), double.IsNaN(ratio) ? "-" : ratio.ToString("F2", Inv) + "x");

    public static string ToJson(IReadOnlyList<BenchResult> results) =>
        JsonSerializer.Serialize(results.ToList(), BenchJson.Default.ListBenchResult);

    public static string ToCsv(IReadOnlyList<BenchResult> results)
    {
        var sb = new StringBuilder();
        sb.AppendLine("workload,net,mode,batch,iterations,warmup,threads,iteration_ms,fwd_bwd_ms,update_ms,images_per_s,gflop_per_image,gflops,pct_sgemm_peak,pct_sgemm_paired");
        foreach (var r in results)
            sb.AppendLine(string.Join(",", r.Workload, r.NetFile, r.Mode, r.Batch.ToString(Inv), r.Iterations.ToString(Inv), r.Warmup.ToString(Inv),
                r.Threads.ToString(Inv), F(r.IterationMs), F(r.ForwardBackwardMs), F(r.UpdateMs), F(r.ImagesPerSecond),
                F(r.GflopPerImage), F(r.Gflops), F(r.PercentOfSgemmPeak), F(r.PairedPercentMedian)));
        return sb.ToString();
    }

    private static string F(double v) => double.IsNaN(v) ? "" : v.ToString("G6", Inv);
}
