// Stats: small statistics helpers for timings (medians: the machines are shared and noisy).
namespace Omnivore.Core;

public static class Stats
{
    /// <summary>The median (mean of the middle two for an even count); NaN when empty.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        int mid = v.Length / 2;
        return v.Length % 2 == 1 ? v[mid] : 0.5 * (v[mid - 1] + v[mid]);
    }
}
