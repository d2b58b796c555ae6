// ThroughputProbe: the scheduler's start-up measurement. First each replica alone, the
// others idle, settles its convolution plans on the probe batch (measured or cached, see
// ConvEngine.AllowProbe). Then every replica runs forward+backward of the actual net,
// reshaped to a small batch (by default the share an equal split would give it),
// concurrently on its own thread as in training: one warm-up step, then steps until the time
// budget is spent (at least two). Images per second include a replica's slowdown. A
// device that throws or does not finish in time gets NaN and a warning (it is then left
// out of the split, never waited for forever). Results are cached per machine, net,
// probe batch and device list (ThroughputCache), so a second start skips the probe.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Omnivore.Core;

namespace Omnivore.Scheduling;

public static class ThroughputProbe
{
    /// <summary>Longest wait for one device's probe beyond its budget before it is left out.</summary>
    public static TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest one device may take to probe its convolution plans before it is left out.</summary>
    public static TimeSpan SettleTimeout { get; set; } = TimeSpan.FromSeconds(300);

    public static int DefaultProbeBatch(int batch, int devices) => Math.Max(1, (batch + devices - 1) / Math.Max(devices, 1));

    /// <summary>Images/s per replica (NaN: failed); seconds is the measuring time per device (all run at once).</summary>
    public static double[] Run(DataParallel dp, int probeBatch, double seconds)
    {
        if (probeBatch < 1) throw new OmnivoreException($"probe batch must be >= 1 (got {probeBatch})");
        var rates = new double[dp.Replicas.Count];
        var all = Enumerable.Range(0, dp.Replicas.Count).Where(i => !dp.Replicas[i].Worker.Abandoned).ToList();
        var wall = Stopwatch.StartNew();
        dp.SettlePlans(dp.Replicas.Select((_, i) => all.Contains(i) ? probeBatch : 0).ToArray(), SettleTimeout, (i, error) =>
        {
            if (error is null) return;
            rates[i] = double.NaN;
            Log.Warning($"device {dp.Replicas[i].Device.Label} failed to set up its convolutions and is left out: {error.Message}");
        });
        all = all.Where(i => !double.IsNaN(rates[i]) && !dp.Replicas[i].Worker.Abandoned).ToList();
        dp.RunConcurrently(all, i =>
        {
            var r = dp.Replicas[i];
            r.Worker.Post(() =>
            {
                r.Prepare(probeBatch);
                r.StepInPlace();
                int steps = 0;
                var sw = Stopwatch.StartNew();
                while (steps < 2 || sw.Elapsed.TotalSeconds < seconds)
                {
                    r.StepInPlace();
                    steps++;
                }
                rates[i] = probeBatch * steps / sw.Elapsed.TotalSeconds;
            });
        }, TimeSpan.FromSeconds(seconds) * 3 + Grace, (i, error) =>
        {
            if (error is null) return;
            rates[i] = double.NaN;
            Log.Warning($"device {dp.Replicas[i].Device.Label} failed its throughput probe and is left out: {error.Message}");
        });
        Log.Info($"Scheduler probe: {probeBatch} images per device, {Fmt.G(wall.Elapsed.TotalSeconds)} s in total: " +
                 string.Join(", ", dp.Replicas.Select((r, i) => $"{r.Device.Label} {Fmt.G(rates[i])} images/s")));
        return rates;
    }

    /// <summary>A short stable hash of the net as built (what the cache key names).</summary>
    public static string NetHash(Nets.Net net) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(net.Param.ToString())))[..16].ToLowerInvariant();
}
