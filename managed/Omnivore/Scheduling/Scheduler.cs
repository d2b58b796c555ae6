// Scheduler: the single-node multi-device scheduler. Attach builds one replica of the
// solver's train net per device (DataParallel), finds each device's throughput (the
// hand-given --split-ratio, else the cached or freshly measured probe), splits the
// minibatch to minimise the predicted iteration time (BatchSplit), logs the split, and
// installs itself as the solver's forward+backward; online rebalancing (Rebalancer)
// then follows the measured step times unless the ratio was given by hand. Devices
// that fail to start or to probe are left out with a warning; none left is an error.
// The scheduler owns the devices it is given and disposes them.
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Scheduling;

/// <summary>Fully connected layers: measured choice, on every replica, or on the master only.</summary>
public enum FcMode { Auto, Data, Model }

public sealed record SchedulerOptions
{
    /// <summary>Model parallelism of the fully connected layers (FcSplit).</summary>
    public FcMode FcMode { get; init; } = FcMode.Auto;
    /// <summary>Hand-given relative throughputs, one per device (skips the probe and rebalancing).</summary>
    public double[]? Ratio { get; init; }
    /// <summary>Probe seconds per device (devices are probed at the same time).</summary>
    public double ProbeSeconds { get; init; } = 1.5;
    /// <summary>Images per device in the probe; null: the share of an equal split.</summary>
    public int? ProbeBatch { get; init; }
    /// <summary>Measure again even when the cache has figures.</summary>
    public bool Reprobe { get; init; }
    /// <summary>Throughput cache file; null: the default; "": no cache.</summary>
    public string? CachePath { get; init; }
    public bool Rebalance { get; init; } = true;
    /// <summary>Convolution engine options of the replicas (null: heuristic plans, no cache); probes run only while settling (ThroughputProbe).</summary>
    public Engine.ConvEngineOptions? Conv { get; init; }
    public long Seed { get; init; } = 1;
}

public sealed class Scheduler : IDisposable
{
    private IReadOnlyList<ReplicaDevice> _owned = [];

    private Scheduler(DataParallel dp, SplitDevice[] devices, double[] rates, bool fromCache)
    {
        Parallel = dp;
        Devices = devices;
        Rates = rates;
        FromCache = fromCache;
    }

    public DataParallel Parallel { get; }
    /// <summary>The replicas as the split sees them (throughputs at start-up).</summary>
    public IReadOnlyList<SplitDevice> Devices { get; }
    public IReadOnlyList<double> Rates { get; }
    public bool FromCache { get; }

    /// <summary>Predicted images/s of the current split under the start-up throughputs.</summary>
    public double PredictedImagesPerSecond
    {
        get
        {
            double t = BatchSplit.Predict(Devices, Parallel.Shares);
            return t > 0 ? Parallel.Batch / t : 0;
        }
    }

    /// <summary>Builds the replicas, chooses the split and (unless hook is false) takes over the solver's forward+backward.</summary>
    public static Scheduler Attach(Solver solver, IReadOnlyList<ReplicaDevice> devices, SchedulerOptions? options = null, bool hook = true)
    {
        var o = options ?? new SchedulerOptions();
        if (o.Ratio is { } given && given.Length != devices.Count)
            throw new OmnivoreException($"--split-ratio has {given.Length} parts for {devices.Count} devices");
        Log.Info($"Scheduler: {devices.Count} device(s): {string.Join(", ", devices.Select(d => d.Describe()))}");
        var dp = new DataParallel(solver.Net, devices, o.Conv, o.Seed);
        try
        {
            var index = dp.Replicas.Select(r => devices.ToList().IndexOf(r.Device)).ToArray();
            double[] rates;
            bool cached = false;
            if (o.Ratio is { } ratio) rates = index.Select(i => ratio[i]).ToArray();
            else (rates, cached) = Measure(dp, o);
            var split = dp.Replicas.Select((r, i) => new SplitDevice(r.Device.Label, rates[i], r.Device.Granularity, r.Device.MaxImages)).ToArray();
            var shares = BatchSplit.Split(dp.Batch, split, w => Log.Warning(w));
            dp.SetShares(shares);
            if (o.Ratio is not null) dp.SettlePlans(shares, ThroughputProbe.SettleTimeout); // no probe ran to settle them
            ChooseFcMode(dp, o.FcMode);
            var scheduler = new Scheduler(dp, split, rates, cached) { _owned = devices };
            string source = o.Ratio is not null ? "--split-ratio" : cached ? "cached probe" : "probe";
            Log.Info($"Scheduler: split {BatchSplit.Describe(split, shares)} from the {source} " +
                     $"({string.Join(", ", split.Select(d => $"{d.Name} {Fmt.G(d.ImagesPerSecond)}"))}" +
                     $"{(o.Ratio is null ? " images/s" : "")}), predicted {Fmt.G(scheduler.PredictedImagesPerSecond)}" +
                     $"{(o.Ratio is null ? " images/s" : "")}");
            // Training: a long average (about 30 steps), a 10% gain and 5 checks of patience, since step
            // times on a shared machine swing by 10-20% from one step to the next (5% moved the split
            // back and forth between 41 and 49 images of 64 every few seconds here).
            if (o.Rebalance && o.Ratio is null) dp.Rebalancer = new Rebalancer(split, smoothing: 0.03, minGain: 0.1, patience: 5);
            if (hook) solver.ForwardBackwardHook = dp.ForwardBackward;
            return scheduler;
        }
        catch
        {
            dp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Model parallelism of the fully connected layers when asked, or (auto) when the net can be
    /// cut, two or more replicas share the batch and a few measured steps say it is at least
    /// FcModelMargin faster.
    /// </summary>
    /// <summary>How much faster per step model parallelism must measure for `auto` to choose it.</summary>
    public static double FcModelMargin { get; set; } = 0.05;

    private static void ChooseFcMode(DataParallel dp, FcMode mode)
    {
        if (mode == FcMode.Data) return;
        if (mode == FcMode.Model)
        {
            dp.UseModelParallel(true);
            Log.Info($"Scheduler: fully connected {dp.FcCut!.Describe()} (--fc-parallel model)");
            return;
        }
        if (dp.FcCut is null || dp.Shares.Count(s => s > 0) < 2) return;
        var (data, model) = dp.TimeModes(steps: 2);
        // A clear margin: within noise of each other (LeNet here), plain data parallelism stays.
        bool use = model < (1 - FcModelMargin) * data;
        dp.UseModelParallel(use);
        Log.Info($"Scheduler: fully connected {dp.FcCut.Describe()}: {Fmt.G(1000 * model)} ms per step, data-parallel " +
                 $"{Fmt.G(1000 * data)} ms (measured); {(use ? "model parallelism chosen" : "data parallelism kept")}");
    }

    private static (double[] Rates, bool Cached) Measure(DataParallel dp, SchedulerOptions o)
    {
        int probeBatch = o.ProbeBatch ?? ThroughputProbe.DefaultProbeBatch(dp.Batch, dp.Replicas.Count);
        var cache = o.CachePath == "" ? null : new ThroughputCache(o.CachePath);
        var key = ThroughputCache.Key(ThroughputProbe.NetHash(dp.Master), probeBatch,
                                      dp.Replicas.Select(r => $"{r.Device.Spec} = {r.Device.Device.Name}"));
        if (!o.Reprobe && cache is not null && cache.TryGet(key, out var hit) && hit.ImagesPerSecond.Length == dp.Replicas.Count)
        {
            Log.Info($"Scheduler: throughputs from {cache.Path} (measured {hit.Measured:u}; --reprobe measures again)");
            // No probe runs to settle the replicas' conv plans: settle them here (cheap when the plan cache has them).
            dp.SettlePlans(dp.Replicas.Select(_ => probeBatch).ToArray(), ThroughputProbe.SettleTimeout);
            return (hit.ImagesPerSecond, true);
        }
        var rates = ThroughputProbe.Run(dp, probeBatch, o.ProbeSeconds);
        if (cache is not null && rates.All(double.IsFinite)) cache.Put(key, new ThroughputEntry(rates, DateTime.UtcNow));
        return (rates, false);
    }

    /// <summary>Disposes the replicas, then the devices (the scheduler owns the devices it was given).</summary>
    public void Dispose()
    {
        Parallel.Dispose();
        foreach (var d in _owned) d.Device.Dispose();
    }
}
