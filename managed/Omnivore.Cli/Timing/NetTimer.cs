// NetTimer: times training iterations of a net layer by layer — forward, backward and
// (optionally) the solver update: L2 decay fused with an SGD momentum step over the whole
// parameter arena (the device's SgdUpdateL2, as SGDSolver with momentum 0.9), clearing
// the gradients in the same pass as SgdSolver does — and keeps every iteration's figures, so reports can quote medians
// (the machines are shared and noisy) as well as Caffe's averages. Shared by `omnivore
// time` and `omnivore bench`.
using System.Diagnostics;
using Omnivore.Core;
using Omnivore.Nets;

namespace Omnivore.Cli.Timing;

/// <summary>One layer's timings (ms per timed iteration) and FLOPs per iteration.</summary>
public sealed record LayerTiming(string Name, string Type, double[] ForwardMs, double[] BackwardMs,
                                 double ForwardFlops, double BackwardFlops)
{
    public double MedianForwardMs => Stats.Median(ForwardMs);
    public double MedianBackwardMs => Stats.Median(BackwardMs);
    public double MeanForwardMs => ForwardMs.Average();
    public double MeanBackwardMs => BackwardMs.Average();
    public double Flops => ForwardFlops + BackwardFlops;
}

/// <summary>The timings of one run: per layer, per iteration.</summary>
public sealed record NetTiming(string NetName, int BatchSize, IReadOnlyList<LayerTiming> Layers,
                               double[] ForwardMs, double[] BackwardMs, double[] UpdateMs, bool Update)
{
    public int Iterations => ForwardMs.Length;
    public double[] ForwardBackwardMs => ForwardMs.Zip(BackwardMs, (f, b) => f + b).ToArray();
    public double[] IterationMs => ForwardBackwardMs.Zip(UpdateMs, (fb, u) => fb + u).ToArray();
    public double MedianForwardBackwardMs => Stats.Median(ForwardBackwardMs);
    /// <summary>Median of forward + backward (+ update when timed), per iteration.</summary>
    public double MedianIterationMs => Stats.Median(IterationMs);
    public double MedianUpdateMs => Stats.Median(UpdateMs);
    public double ForwardFlops => Layers.Sum(l => l.ForwardFlops);
    public double BackwardFlops => Layers.Sum(l => l.BackwardFlops);
    public double Flops => ForwardFlops + BackwardFlops;
    public double ImagesPerSecond => BatchSize / (MedianIterationMs / 1000);
    public double Gflops => Flops / (MedianIterationMs / 1000) / 1e9;

    /// <summary>Timings of the same net in several runs as one (every iteration of each, in order).</summary>
    public static NetTiming Concat(IReadOnlyList<NetTiming> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("no timings to join", nameof(parts));
        var first = parts[0];
        double[] Join(Func<NetTiming, double[]> pick) => parts.SelectMany(pick).ToArray();
        var layers = first.Layers.Select((l, i) => l with
        {
            ForwardMs = parts.SelectMany(p => p.Layers[i].ForwardMs).ToArray(),
            BackwardMs = parts.SelectMany(p => p.Layers[i].BackwardMs).ToArray(),
        }).ToList();
        return first with { Layers = layers, ForwardMs = Join(p => p.ForwardMs), BackwardMs = Join(p => p.BackwardMs), UpdateMs = Join(p => p.UpdateMs) };
    }
}

public static class NetTimer
{
    /// <summary>Learning rate and momentum of the timed update: the work of Caffe's SGD step with
    /// momentum and weight decay; the tiny rate keeps the weights of the timed net sane.</summary>
    public const float UpdateRate = 1e-6f, UpdateMomentum = 0.9f, UpdateDecay = 5e-4f;

    /// <summary>Runs warmup untimed iterations, then `iterations` timed ones. onIteration gets
    /// (iteration, forward+backward ms, update ms) after each timed iteration.</summary>
    public static NetTiming Run(Net net, int iterations, int warmup = 0, bool update = true,
                                Action<int, double, double>? onIteration = null)
    {
        if (iterations <= 0) throw new OmnivoreException("the number of timed iterations must be positive");
        int n = net.Layers.Count;
        var fwd = new double[n][];
        var bwd = new double[n][];
        for (int i = 0; i < n; i++) { fwd[i] = new double[iterations]; bwd[i] = new double[iterations]; }
        var fwdTotal = new double[iterations];
        var bwdTotal = new double[iterations];
        var updTotal = new double[iterations];
        var arena = net.Arena;
        var history = update && arena.Count > 0 ? net.Device.Allocate(arena.Count) : default;
        try
        {
            for (int it = -warmup; it < iterations; it++)
            {
                bool timed = it >= 0;
                for (int i = 0; i < n; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    net.ForwardLayer(i);
                    DeviceSync.Wait(net.Device);
                    if (timed) { double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds; fwd[i][it] = ms; fwdTotal[it] += ms; }
                }
                for (int i = n - 1; i >= 0; i--)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    net.BackwardLayer(i);
                    DeviceSync.Wait(net.Device);
                    if (timed) { double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds; bwd[i][it] = ms; bwdTotal[it] += ms; }
                }
                if (update && arena.Count > 0)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    // As SgdSolver: the update clears the gradients for the next iteration.
                    net.Device.SgdUpdateL2(arena.Data, arena.Diff, history, UpdateDecay, UpdateMomentum, UpdateRate, clearGradient: true);
                    DeviceSync.Wait(net.Device);
                    if (timed) updTotal[it] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                if (timed) onIteration?.Invoke(it, fwdTotal[it] + bwdTotal[it], updTotal[it]);
            }
        }
        finally
        {
            if (history.Ptr != 0) net.Device.Free(history);
        }
        var layers = Enumerable.Range(0, n).Select(i => new LayerTiming(net.Layers[i].Name, net.Layers[i].Type,
            fwd[i], bwd[i], net.ForwardFlops(i), net.BackwardFlops(i))).ToList();
        return new NetTiming(net.Name, BatchSize(net), layers, fwdTotal, bwdTotal, updTotal, update && arena.Count > 0);
    }

    /// <summary>Images per iteration: the first axis of the first layer's first top.</summary>
    public static int BatchSize(Net net) =>
        net.Tops.FirstOrDefault(t => t.Count > 0 && t[0].NumAxes > 0) is { } tops ? tops[0][0] : 1;
}
