// CaffeLogParser: reads training curves out of a Caffe-format log (Omnivore's or Caffe's
// own): the smoothed training loss at each displayed iteration, and every test net output
// after "Testing net (#k)", each with its wall-clock time from the glog prefix
// ("I1128 08:24:11.123456"), seconds since the first timestamped line.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Omnivore.Cli.Plotting;

public sealed record CurvePoint(int Iter, double Seconds, double Value);

public sealed class TrainingCurves
{
    public List<CurvePoint> TrainLoss { get; } = [];
    /// <summary>Test outputs by name (test net #0 unprefixed, others as "name#k").</summary>
    public SortedDictionary<string, List<CurvePoint>> Test { get; } = new(StringComparer.Ordinal);
}

public static partial class CaffeLogParser
{
    [GeneratedRegex(@"^[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2}\.\d+)")]
    private static partial Regex Stamp();
    [GeneratedRegex(@"Iteration (\d+)(?: \([^)]*\))?, loss = ([-+0-9.eEnaif]+)")]
    private static partial Regex TrainLoss();
    [GeneratedRegex(@"Iteration (\d+), Testing net \(#(\d+)\)")]
    private static partial Regex Testing();
    [GeneratedRegex(@"Test net output #\d+: (\S+) = ([-+0-9.eEnaif]+)")]
    private static partial Regex TestOutput();

    public static TrainingCurves Parse(IEnumerable<string> lines)
    {
        var curves = new TrainingCurves();
        double? start = null, seconds = 0, lastDayStart = null;
        int dayOffset = 0, testIter = -1, testNet = 0;
        foreach (var line in lines)
        {
            var st = Stamp().Match(line);
            if (st.Success)
            {
                double t = int.Parse(st.Groups[3].Value) * 3600 + int.Parse(st.Groups[4].Value) * 60
                         + double.Parse(st.Groups[5].Value, CultureInfo.InvariantCulture);
                if (lastDayStart is double prev && t + dayOffset * 86400 < prev - 3600) dayOffset++; // past midnight
                t += dayOffset * 86400;
                lastDayStart = t;
                start ??= t;
                seconds = t - start;
            }
            var tl = TrainLoss().Match(line);
            if (tl.Success && TryNumber(tl.Groups[2].Value, out var loss))
            {
                curves.TrainLoss.Add(new CurvePoint(int.Parse(tl.Groups[1].Value), seconds ?? 0, loss));
                continue;
            }
            var te = Testing().Match(line);
            if (te.Success)
            {
                testIter = int.Parse(te.Groups[1].Value);
                testNet = int.Parse(te.Groups[2].Value);
                continue;
            }
            var to = TestOutput().Match(line);
            if (to.Success && testIter >= 0 && TryNumber(to.Groups[2].Value, out var v))
            {
                var name = testNet == 0 ? to.Groups[1].Value : $"{to.Groups[1].Value}#{testNet}";
                if (!curves.Test.TryGetValue(name, out var list)) curves.Test[name] = list = [];
                list.Add(new CurvePoint(testIter, seconds ?? 0, v));
            }
        }
        return curves;
    }

    private static bool TryNumber(string s, out double v) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) ||
        (s is "nan" or "-nan" && (v = double.NaN) is double.NaN) ||
        (s is "inf" && (v = double.PositiveInfinity) > 0);
}
