// RecordedFigures: the figures measured with other systems (Caffe, CaffeConTroll, PyTorch)
// on this kind of machine, read from shared/caffe/bench/RECORDED.md: the key/value table
// of peaks ("| what | figure |") and the per-system table of training iterations
// ("| system | CaffeNet b256 | CaffeNet b64 | LeNet b64 |", cells "11,185 ms (22.9 img/s)").
// The bench prints them beside its own figures, labelled as recorded, not measured.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Omnivore.Cli.Bench;

/// <summary>A recorded training-iteration time and throughput.</summary>
public sealed record RecordedCell(double Ms, double ImagesPerSecond);

/// <summary>One system's row: its short name, the full label, and cells by workload key ("caffenet b64").</summary>
public sealed record RecordedSystem(string Name, string Label, bool? IncludesUpdate, IReadOnlyDictionary<string, RecordedCell> Cells);

public sealed partial record RecordedFigures(IReadOnlyList<(string What, string Figure)> Peaks,
                                             IReadOnlyList<string> Workloads, IReadOnlyList<RecordedSystem> Systems)
{
    public static readonly RecordedFigures Empty = new([], [], []);

    /// <summary>A workload key from a table header ("CaffeNet b64" -> "caffenet b64").</summary>
    public static string Key(string header) => Regex.Replace(header.Trim().ToLowerInvariant(), @"\s+", " ");

    public static RecordedFigures Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;

    public static RecordedFigures Parse(string markdown)
    {
        var peaks = new List<(string, string)>();
        var workloads = new List<string>();
        var systems = new List<RecordedSystem>();
        List<string>? header = null;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith('|')) { header = null; continue; }
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToList();
            if (cells.All(c => Regex.IsMatch(c, @"^:?-+:?$"))) continue;   // | --- | --- |
            if (header is null) { header = cells; if (Key(cells[0]) == "system") workloads.AddRange(cells.Skip(1)); continue; }
            if (Key(header[0]) == "what" && cells.Count >= 2) peaks.Add((cells[0], cells[1]));
            else if (Key(header[0]) == "system")
            {
                var byWorkload = new Dictionary<string, RecordedCell>();
                for (int i = 1; i < cells.Count && i < header.Count; i++)
                    if (ParseCell(cells[i]) is { } cell) byWorkload[Key(header[i])] = cell;
                systems.Add(new RecordedSystem(ShortName(cells[0]), cells[0], IncludesUpdate(cells[0]), byWorkload));
            }
        }
        return new RecordedFigures(peaks, workloads, systems);
    }

    /// <summary>"11,185 ms (22.9 img/s)" -> (11185, 22.9); null when the cell holds no figure.</summary>
    public static RecordedCell? ParseCell(string cell)
    {
        var m = CellPattern().Match(cell);
        if (!m.Success) return null;
        static double Num(string s) => double.Parse(s.Replace(",", ""), CultureInfo.InvariantCulture);
        return new RecordedCell(Num(m.Groups[1].Value), Num(m.Groups[2].Value));
    }

    /// <summary>The system's name before its details: "Caffe 1.0 (master ...), OpenBLAS" -> "Caffe 1.0".</summary>
    public static string ShortName(string label)
    {
        int cut = label.IndexOfAny(['(', ',']);
        return (cut > 0 ? label[..cut] : label).Trim();
    }

    /// <summary>Whether the label says the solver update is timed: "no update" false, "incl. update" or
    /// "step included" true, otherwise unknown.</summary>
    public static bool? IncludesUpdate(string label)
    {
        var l = label.ToLowerInvariant();
        if (l.Contains("no update")) return false;
        if (l.Contains("incl. update") || l.Contains("including update") || l.Contains("included") || l.Contains("incl update")) return true;
        return null;
    }

    [GeneratedRegex(@"([\d,]+(?:\.\d+)?)\s*ms\s*\(\s*([\d,]+(?:\.\d+)?)\s*img/s\s*\)")]
    private static partial Regex CellPattern();
}
