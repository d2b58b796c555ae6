// ConvProbe: times candidate convolution plans on a layer's real shape. Each candidate
// runs forward (and backward when the layer trains) on the same probe batch: as many
// images as about ProbeFlops of work, at least one lowering per partition of every
// forced plan, at most the real batch. Candidates whose lowering would need more images
// than the probe batch are tried at the probe batch's size. After one warm-up, rounds over
// all candidates (interleaved, so outside load hits all alike), best time per candidate;
// candidates over twice the leader drop out after the first round. A confirming run
// (images given) times a few plans on a larger batch, ConfirmRounds interleaved rounds,
// best of each: how fast a large lowering is cannot be seen on a few images, and one
// sample each let a passing load pick the slower of two close plans (CaffeNet conv1, b64:
// 2x32 kept over Caffe's mode, then 0.98x of it in the benchmark).
using System.Diagnostics;
using Omnivore.Core;

namespace Omnivore.Engine;

public static class ConvProbe
{
    /// <summary>Work per candidate run, in FLOP (about 40 ms at 100 GFLOP/s).</summary>
    public static double ProbeFlops { get; set; } = 3e9;

    /// <summary>Timed rounds over all candidates (at least 2, more while under MaxSeconds).</summary>
    public static int MaxRounds { get; set; } = 4;
    public static double MaxSeconds { get; set; } = 0.5;

    /// <summary>Images of the first probe round: about ProbeFlops of work, at most the batch.</summary>
    public static int ImagesFor(ConvShape shape, int batch, ConvPass pass, IReadOnlyList<ConvPlan> candidates)
    {
        double perImage = shape.ForwardFlopsPerImage * (pass.Backward ? pass.DataGradient ? 3 : 2 : 1);
        int maxP = candidates.Max(c => c.Partitions);
        int n = (int)Math.Clamp(Math.Ceiling(ProbeFlops / Math.Max(perImage, 1)), maxP, Math.Max(batch, 1));
        return Math.Min(n, Math.Max(batch, 1));
    }

    /// <summary>The largest probe batch of the confirming round (see ConvEngine.Decide).</summary>
    public static int ConfirmImages { get; set; } = 64;

    /// <summary>Interleaved rounds of the confirming run (all of them, whatever the time).</summary>
    public static int ConfirmRounds { get; set; } = 3;

    /// <param name="images">Probe on exactly this many images (at most the batch), ConfirmRounds timed rounds.</param>
    public static List<ConvTiming> Run(ConvEngine engine, ConvShape shape, int batch, ConvPass pass,
                                       IReadOnlyList<ConvPlan> candidates, int? images = null)
    {
        var device = engine.Device;
        bool backward = pass.Backward;
        int n = images is int forced ? Math.Max(1, Math.Min(forced, batch)) : ImagesFor(shape, batch, pass, candidates);
        int rounds = images is null ? MaxRounds : Math.Max(1, ConfirmRounds);
        var plans = candidates
            .Select(c => c with { ImagesPerLowering = Math.Min(c.ImagesPerLowering, Math.Max(1, (n + c.Partitions - 1) / c.Partitions)) })
            .Distinct().ToList();
        long ws = plans.Max(p => device.ConvWorkspaceFloats(shape, p));
        var clock = Stopwatch.StartNew();
        DeviceBuffer bottom = default, top = default, topDiff = default, bottomDiff = default,
                     weights = default, weightDiff = default, bias = default, biasDiff = default, workspace = default;
        try
        {
            // Inside the try: if one allocation fails (a large layer), the earlier ones are freed.
            bottom = device.Allocate(n * shape.InPerImage);
            top = device.Allocate(n * shape.OutPerImage);
            if (backward) topDiff = device.Allocate(n * shape.OutPerImage);
            if (backward && pass.DataGradient) bottomDiff = device.Allocate(n * shape.InPerImage);
            weights = device.Allocate(shape.WeightCount);
            weightDiff = device.Allocate(shape.WeightCount);
            bias = device.Allocate(shape.NumOutput);
            biasDiff = device.Allocate(shape.NumOutput);
            device.Set(bottom, 0.5f);
            device.Set(weights, 0.01f);
            if (backward) device.Set(topDiff, 0.01f);
            // The probe's own workspace, freed when it ends: the engine's shared one grows only to
            // what the chosen plans need (CaffeNet b256: 25 MiB with the packed engine, against
            // the 470 MiB the whole-batch candidates take while they are timed).
            workspace = device.Allocate(ws);
            double Once(ConvPlan p)
            {
                var t = Stopwatch.GetTimestamp();
                device.ConvForward(top, bottom, weights, bias, workspace, n, shape, p);
                if (backward)
                    device.ConvBackward(bottomDiff, weightDiff, biasDiff, topDiff, bottom, weights, workspace, n, shape, p);
                DeviceSync.Wait(device);
                return Stopwatch.GetElapsedTime(t).TotalMilliseconds / n;
            }
            Once(plans[^1]);
            // Interleaved rounds, best per candidate: load from other processes hits all alike.
            var best = Enumerable.Repeat(double.MaxValue, plans.Count).ToArray();
            for (int round = 0; round < rounds; round++)
            {
                double leader = best.Min();
                for (int i = 0; i < plans.Count; i++)
                    if (round == 0 || best[i] < 2 * leader) best[i] = Math.Min(best[i], Once(plans[i]));
                if (images is null && round >= 1 && clock.Elapsed.TotalSeconds > MaxSeconds) break;
            }
            var result = plans.Select((p, i) => new ConvTiming(p.Partitions, p.ImagesPerLowering, p.Mode, best[i])).ToList();
            Log.Info($"probed {plans.Count} convolution plans for {shape} on {n} of {batch} images in {Fmt.G(clock.Elapsed.TotalSeconds)} s");
            return result;
        }
        finally
        {
            foreach (var b in new[] { bottom, top, topDiff, bottomDiff, weights, weightDiff, bias, biasDiff, workspace })
                if (!b.IsNull) device.Free(b);
        }
    }
}
