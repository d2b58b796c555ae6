// BatchSplit: how many images of a minibatch each device gets. Pure and deterministic.
// Model: device i with throughput t_i (images/s), granularity g_i (a CPU with P
// partitions costs as much for n images as for the next multiple of P), limit L_i
// (images that fit its memory) and a fixed cost o_i per iteration needs
//     time_i(n) = 0 if n = 0, else o_i + ceil(n / g_i) * g_i / t_i.
// The split minimises the predicted iteration time max_i time_i(n_i) subject to
// sum n_i = batch (never an image dropped or duplicated) and n_i <= L_i. The optimum is
// one of the finitely many values time_i(k g_i): binary search for the smallest such T
// at which the devices' capacities cap_i(T) = max{n <= L_i : time_i(n) <= T} cover the
// batch, give each device its capacity, then take the surplus back from the slowest
// finishers. A device too slow to help (its smallest share alone takes longer than the
// others need for everything) gets zero. A device with no usable throughput (failed to
// start: 0, NaN) is excluded with a warning; no device left or a batch that cannot fit
// is an OmnivoreException.
using Omnivore.Core;

namespace Omnivore.Scheduling;

/// <summary>One device as the split sees it.</summary>
public sealed record SplitDevice(string Name, double ImagesPerSecond, int Granularity = 1,
                                 long MaxImages = long.MaxValue, double OverheadSeconds = 0)
{
    public bool Usable => double.IsFinite(ImagesPerSecond) && ImagesPerSecond > 0;
}

public static class BatchSplit
{
    /// <summary>Images per device (same order as devices); sum == batch.</summary>
    public static int[] Split(int batch, IReadOnlyList<SplitDevice> devices, Action<string>? warn = null)
    {
        if (batch < 0) throw new OmnivoreException($"batch size must not be negative (got {batch})");
        Validate(devices);
        var usable = new List<int>();
        for (int i = 0; i < devices.Count; i++)
        {
            if (devices[i].Usable) usable.Add(i);
            else warn?.Invoke($"device {devices[i].Name} has no usable throughput ({devices[i].ImagesPerSecond} images/s) and is left out of the split");
        }
        if (usable.Count == 0)
            throw new OmnivoreException($"no device is left to train on (all {devices.Count} failed or measured no throughput)");
        var shares = new int[devices.Count];
        if (batch == 0) return shares;
        long room = usable.Sum(i => Math.Min(devices[i].MaxImages, batch));
        if (room < batch)
            throw new OmnivoreException(
                $"the batch of {batch} images does not fit the devices' memory: at most {room} " +
                $"({string.Join(", ", usable.Select(i => $"{devices[i].Name} {Math.Min(devices[i].MaxImages, batch)}"))})");

        var candidates = new List<double>();
        foreach (int i in usable)
        {
            var d = devices[i];
            long most = Math.Min(d.MaxImages, batch);
            for (long k = 1; (k - 1) * d.Granularity < most; k++) candidates.Add(TimeOf(d, (int)Math.Min(k * d.Granularity, most)));
        }
        candidates.Sort();
        int lo = 0, hi = candidates.Count - 1; // the last candidate is always feasible
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (Capacity(devices, usable, candidates[mid], batch) >= batch) hi = mid; else lo = mid + 1;
        }
        double t = candidates[lo];
        long sum = 0;
        foreach (int i in usable) sum += shares[i] = Cap(devices[i], t, batch);
        TakeBackSurplus(devices, usable, shares, (int)(sum - batch));
        return shares;
    }

    /// <summary>Predicted seconds of one device for n images.</summary>
    public static double TimeOf(SplitDevice d, int n) =>
        n <= 0 ? 0 : d.OverheadSeconds + Math.Ceiling(n / (double)d.Granularity) * d.Granularity / d.ImagesPerSecond;

    /// <summary>Predicted iteration seconds of a split (the slowest device).</summary>
    public static double Predict(IReadOnlyList<SplitDevice> devices, IReadOnlyList<int> shares)
    {
        double worst = 0;
        for (int i = 0; i < devices.Count; i++)
            if (shares[i] > 0) worst = Math.Max(worst, devices[i].Usable ? TimeOf(devices[i], shares[i]) : double.PositiveInfinity);
        return worst;
    }

    /// <summary>Parses a hand-given ratio such as "3:1" (one positive number per device).</summary>
    public static double[] ParseRatio(string text, int devices)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        var values = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i])
                || !double.IsFinite(values[i]) || values[i] < 0)
                throw new OmnivoreException($"--split-ratio '{text}': '{parts[i]}' is not a non-negative number");
        if (values.Length != devices)
            throw new OmnivoreException($"--split-ratio '{text}' has {values.Length} parts for {devices} devices (give one per device, e.g. 3:1)");
        if (values.All(v => v == 0)) throw new OmnivoreException($"--split-ratio '{text}' gives every device zero");
        return values;
    }

    /// <summary>"a 43 + b 21 of 64" for logs.</summary>
    public static string Describe(IReadOnlyList<SplitDevice> devices, IReadOnlyList<int> shares) =>
        string.Join(" + ", devices.Select((d, i) => $"{d.Name} {shares[i]}")) + $" of {shares.Sum()}";

    private static void Validate(IReadOnlyList<SplitDevice> devices)
    {
        if (devices.Count == 0) throw new OmnivoreException("no devices to split the batch over");
        foreach (var d in devices)
        {
            if (d.Granularity < 1) throw new OmnivoreException($"device {d.Name}: granularity must be >= 1 (got {d.Granularity})");
            if (d.MaxImages < 0) throw new OmnivoreException($"device {d.Name}: memory limit must be >= 0 images (got {d.MaxImages})");
            if (!(d.OverheadSeconds >= 0)) throw new OmnivoreException($"device {d.Name}: overhead must be >= 0 s");
        }
    }

    private static long Capacity(IReadOnlyList<SplitDevice> devices, List<int> usable, double t, int batch)
    {
        long sum = 0;
        foreach (int i in usable) sum += Cap(devices[i], t, batch);
        return sum;
    }

    /// <summary>Most images device d finishes within t seconds (at most the batch).</summary>
    private static int Cap(SplitDevice d, double t, int batch)
    {
        long most = Math.Min(d.MaxImages, batch);
        if (most == 0 || t < d.OverheadSeconds) return 0;
        // The candidate times are computed by TimeOf; the tolerance undoes its rounding.
        double steps = Math.Floor((t - d.OverheadSeconds) * d.ImagesPerSecond / d.Granularity * (1 + 1e-12) + 1e-9);
        long n = (long)Math.Min(steps * d.Granularity, most);
        // A limit that is not a multiple of the granularity: the last partial step fits when its rounded-up time does.
        if (n < most && n + d.Granularity > most && TimeOf(d, (int)most) <= t * (1 + 1e-12)) n = most;
        return (int)n;
    }

    /// <summary>
    /// Removes surplus images, one granularity step at a time, from the device predicted to
    /// finish last among those whose whole step fits the surplus (so partitioned devices keep
    /// multiples of their granularity); when no whole step fits, from the last finisher.
    /// </summary>
    private static void TakeBackSurplus(IReadOnlyList<SplitDevice> devices, List<int> usable, int[] shares, int surplus)
    {
        while (surplus > 0)
        {
            int pick = -1, partial = -1;
            foreach (int i in usable)
            {
                if (shares[i] == 0) continue;
                if (partial < 0 || TimeOf(devices[i], shares[i]) >= TimeOf(devices[partial], shares[partial])) partial = i;
                if (Step(devices[i], shares[i]) > surplus) continue;
                if (pick < 0 || TimeOf(devices[i], shares[i]) >= TimeOf(devices[pick], shares[pick])) pick = i;
            }
            if (pick < 0) pick = partial;
            int take = Math.Min(surplus, Step(devices[pick], shares[pick]));
            shares[pick] -= take;
            surplus -= take;
        }
    }

    /// <summary>Images down to the previous multiple of the granularity.</summary>
    private static int Step(SplitDevice d, int n) => n % d.Granularity == 0 ? d.Granularity : n % d.Granularity;
}
