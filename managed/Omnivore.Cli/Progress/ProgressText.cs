// ProgressText: the text of `omnivore train`'s live progress line, as pure functions of
// the numbers shown: iteration/max_iter, smoothed loss, images/s, ETA and the "split"
// (the devices the batch is split over; for now the one device used).
using System.Globalization;

namespace Omnivore.Cli.Progress;

/// <summary>What the progress line shows at one moment.</summary>
public readonly record struct ProgressState(int Iter, int MaxIter, float Loss, double IterationsPerSecond, int BatchSize, string Split)
{
    public double ImagesPerSecond => IterationsPerSecond * BatchSize;
}

public static class ProgressText
{
    /// <summary>"iter 120/10000 (1.2%) | loss 0.2345 | 1234 img/s | ETA 0:05:12 | split CPU (...)".</summary>
    public static string Format(ProgressState s)
    {
        var c = CultureInfo.InvariantCulture;
        double percent = s.MaxIter > 0 ? 100.0 * s.Iter / s.MaxIter : 0;
        return string.Join(" | ",
            string.Create(c, $"iter {s.Iter}/{s.MaxIter} ({percent:0.0}%)"),
            float.IsFinite(s.Loss) ? string.Create(c, $"loss {s.Loss:0.0000}") : $"loss {s.Loss}",
            string.Create(c, $"{s.ImagesPerSecond:0} img/s"),
            $"ETA {Eta(s.MaxIter - s.Iter, s.IterationsPerSecond)}",
            $"split {s.Split}");
    }

    /// <summary>Time left for the remaining iterations at this speed: "m:ss", "h:mm:ss" or "--" when unknown.</summary>
    public static string Eta(int remaining, double iterationsPerSecond)
    {
        if (remaining <= 0) return "0:00";
        if (!(iterationsPerSecond > 0) || double.IsInfinity(iterationsPerSecond)) return "--";
        double seconds = remaining / iterationsPerSecond;
        if (seconds > 99 * 3600) return ">99h";
        var t = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
    }

    /// <summary>A device's short label for the split field: "CPU (OpenBLAS ..., 2 threads)" becomes "CPU, 2 threads".</summary>
    public static string DeviceLabel(string deviceName)
    {
        int open = deviceName.IndexOf(" (", StringComparison.Ordinal);
        if (open < 0) return deviceName;
        var inner = deviceName[(open + 2)..].TrimEnd(')');
        int lastComma = inner.LastIndexOf(", ", StringComparison.Ordinal);
        return lastComma < 0 ? deviceName[..open] : $"{deviceName[..open]}, {inner[(lastComma + 2)..]}";
    }

    /// <summary>The text cut to fit a terminal line of the given width (an in-place line must not wrap).</summary>
    public static string Fit(string text, int width) =>
        width <= 1 ? "" : text.Length < width ? text : text[..(width - 2)] + "…";
}
