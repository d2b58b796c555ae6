// ConvEngine: the per-run convolution engine. It picks each conv layer's execution plan
// (partitions x images per lowering, the packed engine's partitions, or Caffe's
// per-image mode) from the options, the
// per-machine cache, a short measured probe (ConvProbe) or a heuristic, always within
// the memory budget, logs the choice, and owns the one workspace every conv layer of
// the run shares (sized to the largest plan, so peak memory is bounded by the budget).
// AllowProbe off (a scheduler replica inside a concurrent phase, where timings would be
// confounded) keeps the probe for later: a new batch of a shape already measured takes
// that measured plan, fitted to the batch; only a never-measured shape gets the heuristic.
using Omnivore.Core;

namespace Omnivore.Engine;

/// <summary>A layer's plan, where it came from, and the probe's timings (empty when not probed).</summary>
public sealed record ConvChoice(string Layer, ConvShape Shape, int Batch, ConvPlan Plan, long WorkspaceFloats,
                                string Source, IReadOnlyList<ConvTiming> Timings);

public sealed class ConvEngine : IDisposable
{
    private DeviceBuffer _workspace;
    private ConvPlanCache? _cache;
    private bool _cacheOpened;
    private readonly Dictionary<string, ConvChoice> _memo = [];
    private readonly List<ConvChoice> _choices = [];
    private readonly Dictionary<string, ConvChoice> _measured = []; // by shape (any batch): probed or cached plans

    public ConvEngine(IDevice device, ConvEngineOptions? options = null)
    {
        Device = device;
        Options = options ?? ConvEngineOptions.Default;
        Options.Validate();
    }

    public IDevice Device { get; }
    public ConvEngineOptions Options { get; }

    /// <summary>False: no probe now (see the top of the file); the cache and earlier measurements still count.</summary>
    public bool AllowProbe { get; set; } = true;

    /// <summary>Every choice made so far, in order (one per layer and shape).</summary>
    public IReadOnlyList<ConvChoice> Choices => _choices;

    public long WorkspaceBytes => _workspace.Length * sizeof(float);
    public long BudgetFloats => Options.MemoryBudgetBytes / sizeof(float);

    /// <summary>The shared workspace, grown to at least floats (contents are scratch).</summary>
    public DeviceBuffer Workspace(long floats)
    {
        if (_workspace.Length < floats)
        {
            if (!_workspace.IsNull) Device.Free(_workspace);
            _workspace = default;
            _workspace = Device.Allocate(floats);
        }
        return _workspace.Slice(0, Math.Max(floats, 0));
    }

    /// <summary>The plan for one layer's shape and batch; backward: the layer trains (probe times fwd+bwd);
    /// dataGradient: its backward pass computes the gradient of its input too (false for a net's
    /// first convolution, whose input is data: the probe then times what the layer will run).</summary>
    public ConvChoice Choose(string layer, in ConvShape shape, int batch, bool backward, bool dataGradient = true)
    {
        var pass = new ConvPass(backward, dataGradient);
        string key = Key(shape, batch, pass);
        if (_memo.TryGetValue(key, out var known) && !(known.Source == NotProbedNow && (AllowProbe || _measured.ContainsKey(ShapeKey(shape, pass)))))
        {
            var again = known with { Layer = layer };
            _choices.Add(again);
            Log.Info($"{layer}: convolution plan {again.Plan} (same shape as {known.Layer})");
            return again;
        }
        var choice = Decide(layer, shape, batch, pass, key);
        _memo[key] = choice;
        _choices.Add(choice);
        Log.Info(Describe(choice));
        return choice;
    }

    private ConvChoice Decide(string layer, ConvShape shape, int batch, ConvPass pass, string key)
    {
        var o = Options;
        if (o.Mode == ConvMode.Caffe) return Make(layer, shape, batch, ConvPlan.Caffe, "forced");
        if (o.Partitions is int fp && o.ImagesPerLowering is int fb)
        {
            var plan = o.Mode == ConvMode.Packed ? ConvPlan.Packed(fp) : Fit(new ConvPlan(fp, fb), batch);
            var forced = Make(layer, shape, batch, plan, "forced");
            if (forced.WorkspaceFloats > BudgetFloats)
                Log.Warning($"{layer}: the forced plan {plan} needs {Mib(forced.WorkspaceFloats)} MiB of workspace, over the {Mib(BudgetFloats)} MiB budget");
            return forced;
        }
        var candidates = Candidates(shape, batch);
        if (!o.Probe) return Make(layer, shape, batch, Heuristic(candidates, batch), "heuristic");
        string family = ShapeKey(shape, pass);
        var cache = OpenCache();
        if (cache is not null && cache.TryGet(key, out var hit) && Device.ConvWorkspaceFloats(shape, hit.Plan) <= BudgetFloats)
            return _measured[family] = Make(layer, shape, batch, hit.Plan, "cache", hit.Timings);
        if (!AllowProbe)
        {
            if (_measured.TryGetValue(family, out var near) && Make(layer, shape, batch, Fit(near.Plan, batch), "") is var fitted
                && fitted.WorkspaceFloats <= BudgetFloats)
                return fitted with { Source = $"measured at batch {near.Batch}" };
            return Make(layer, shape, batch, Heuristic(candidates, batch), NotProbedNow);
        }
        var timings = ConvProbe.Run(this, shape, batch, pass, candidates);
        var best = Best(timings);
        if (Confirm(shape, batch, pass, candidates, best) is { } confirmed)
        {
            // The confirmed figures (on the larger batch) decide; the first round's stay in the log.
            best = Best(confirmed);
            timings = [.. confirmed, .. timings.Where(t => !confirmed.Any(c => c.Plan == t.Plan))];
        }
        cache?.Put(key, new ConvCacheEntry(best.Partitions, best.ImagesPerLowering, best.Mode, [.. timings]));
        return _measured[family] = Make(layer, shape, batch, best.Plan, "probe", timings);
    }

    /// <summary>How much faster (fraction) another plan must measure to be taken over the packed engine.</summary>
    public const double PackedMargin = 0.10;

    /// <summary>
    /// The fastest timing, except that the packed engine keeps the place unless another plan
    /// measured at least PackedMargin faster: its workspace is a few MiB against hundreds
    /// for whole-batch lowerings, and on a shared machine a probe of a few runs moves by
    /// more than that: CaffeNet conv4 at b256, probed while the machine was slow, had a 2x32
    /// lowering 5.7% ahead of packed, then ran 1.35x slower than packed in the benchmark.
    /// </summary>
    public static ConvTiming Best(IReadOnlyList<ConvTiming> timings)
    {
        var best = timings.MinBy(t => t.MsPerImage)!;
        var packed = timings.Where(t => t.Mode == ConvMode.Packed).MinBy(t => t.MsPerImage);
        return packed is not null && best.MsPerImage > packed.MsPerImage * (1 - PackedMargin) ? packed : best;
    }

    /// <summary>The source of a heuristic stand-in chosen while probing was not allowed (decided again once it is, or once the shape is measured).</summary>
    public const string NotProbedNow = "heuristic, not probed now";

    private static string ShapeKey(in ConvShape shape, ConvPass pass) => $"{shape} | {pass}";

    /// <summary>
    /// When the first probe ran on fewer images than the batch (large layers), the plans that
    /// lower many images at once were only tried on that small batch. Time the winner, Caffe's
    /// mode and each partition count's largest lowering once more on up to ConfirmImages
    /// images, and keep the confirmed figures (CaffeNet b64: whole-batch lowering wins on
    /// every conv layer here, but only shows it on the whole batch).
    /// </summary>
    private List<ConvTiming>? Confirm(ConvShape shape, int batch, ConvPass pass, List<ConvPlan> candidates, ConvTiming best)
    {
        int n = Math.Min(batch, ConvProbe.ConfirmImages);
        if (ConvProbe.ImagesFor(shape, batch, pass, candidates) >= n) return null;
        var finalists = new List<ConvPlan> { best.Plan };
        if (candidates.Contains(ConvPlan.Caffe)) finalists.Add(ConvPlan.Caffe);
        foreach (var p in candidates.Where(c => c.Mode == ConvMode.Batched).GroupBy(c => c.Partitions))
            finalists.Add(p.MaxBy(c => c.ImagesPerLowering));
        finalists.AddRange(candidates.Where(c => c.Mode == ConvMode.Packed));
        finalists = finalists.Select(f => Fit(f, n)).Distinct().ToList();
        return ConvProbe.Run(this, shape, batch, pass, finalists, n);
    }

    /// <summary>
    /// The plans worth trying within the budget: Caffe's mode (unless another is forced); the
    /// packed engine on all cores (or the forced P) where the device runs it; and for P in
    /// {1, cores} (or the forced P) images per lowering 1, 4, 16, ... and the whole partition
    /// (or the forced B). Never empty: at worst the smallest plan, over budget.
    /// </summary>
    public List<ConvPlan> Candidates(in ConvShape shape, int batch)
    {
        var o = Options;
        var list = new List<ConvPlan>();
        bool packed = Device.ConvSupports(ConvMode.Packed);
        if (o.Mode == ConvMode.Packed && !packed)
            throw new OmnivoreException($"--conv-mode packed needs a CPU with AVX-512 (F, DQ, BW and VL), which {Device.Name} lacks; use auto, batched or caffe");
        if (o.Mode is null && o.Partitions is null or 1 && o.ImagesPerLowering is null or 1) list.Add(ConvPlan.Caffe);
        int maxP = Math.Max(1, Device.ConvMaxPartitions);
        if (packed && o.Mode is null or ConvMode.Packed && o.ImagesPerLowering is null or 1)
        {
            var plan = ConvPlan.Packed(o.Partitions ?? maxP);
            if (Device.ConvWorkspaceFloats(shape, plan) <= BudgetFloats) list.Add(plan);
        }
        var ps = o.Mode == ConvMode.Packed ? [] : o.Partitions is int fp ? [fp] : new[] { 1, maxP }.Distinct().ToArray();
        foreach (int p in ps)
        {
            int per = Math.Max(1, (batch + p - 1) / p);
            var bs = new SortedSet<int>();
            if (o.ImagesPerLowering is int fb) bs.Add(Math.Min(fb, per));
            else
            {
                for (int b = 1; b < per; b *= 4) bs.Add(b);
                bs.Add(per);
            }
            foreach (int b in bs)
            {
                var plan = new ConvPlan(p, b);
                if (plan == new ConvPlan(1, 1) && list.Contains(ConvPlan.Caffe)) continue;
                if (Device.ConvWorkspaceFloats(shape, plan) <= BudgetFloats) list.Add(plan);
            }
        }
        if (list.Count == 0)
        {
            var smallest = o.Mode == ConvMode.Packed ? ConvPlan.Packed(o.Partitions ?? maxP) : new ConvPlan(o.Partitions ?? 1, 1);
            Log.Warning($"no convolution plan for {shape} fits the {Mib(BudgetFloats)} MiB budget; using {smallest}");
            list.Add(smallest);
        }
        return list;
    }

    /// <summary>Without a probe: the packed engine where it runs (the fastest on most layers
    /// measured, and the smallest workspace); else all cores as partitions, the largest lowering that fits.</summary>
    private ConvPlan Heuristic(List<ConvPlan> candidates, int batch)
    {
        if (candidates.Where(c => c.Mode == ConvMode.Packed).OrderByDescending(c => c.Partitions).FirstOrDefault() is { Partitions: > 0 } p)
            return p;
        int maxP = candidates.Max(c => c.Partitions);
        var sameP = candidates.Where(c => c.Partitions == maxP && c.Mode == ConvMode.Batched).ToList();
        return sameP.Count > 0 ? sameP.MaxBy(c => c.ImagesPerLowering) : candidates[0];
    }

    private static ConvPlan Fit(ConvPlan plan, int batch) =>
        plan with { ImagesPerLowering = Math.Min(plan.ImagesPerLowering, Math.Max(1, (batch + plan.Partitions - 1) / plan.Partitions)) };

    private ConvChoice Make(string layer, ConvShape shape, int batch, ConvPlan plan, string source,
                            IReadOnlyList<ConvTiming>? timings = null) =>
        new(layer, shape, batch, plan, Device.ConvWorkspaceFloats(shape, plan), source, timings ?? []);

    private ConvPlanCache? OpenCache()
    {
        if (_cacheOpened) return _cache;
        _cacheOpened = true;
        if (Options.CachePath == "") return null;
        _cache = new ConvPlanCache(Options.CachePath ?? ConvPlanCache.DefaultPath());
        return _cache;
    }

    private string Key(in ConvShape shape, int batch, ConvPass pass) =>
        $"{ConvPlanCache.MachineId()} | kernels {ConvPlanCache.KernelGeneration} | {Device.Name} | {shape} | n{batch} | {pass} | " +
        $"budget {Mib(BudgetFloats)} MiB | P {Options.Partitions?.ToString() ?? "*"} B {Options.ImagesPerLowering?.ToString() ?? "*"} | " +
        $"mode {Options.Mode?.ToString() ?? "*"}";

    public static string Describe(ConvChoice c)
    {
        var text = $"{c.Layer}: convolution plan {c.Plan} [{c.Source}], workspace {Mib(c.WorkspaceFloats)} MiB";
        if (c.Timings.Count == 0) return text;
        var caffe = c.Timings.FirstOrDefault(t => t.Mode == ConvMode.Caffe);
        var best = c.Timings.Where(t => t.Mode != ConvMode.Caffe).MinBy(t => t.MsPerImage);
        var all = string.Join(", ", c.Timings.Select(t => $"{Short(t.Plan)} {Fmt.G(t.MsPerImage)}"));
        text += $"; probe ms/image: {all}";
        if (caffe is not null && best is not null && best.MsPerImage > 0)
            text += $"; best of the batched and packed plans, {Short(best.Plan)}, is {Fmt.G(caffe.MsPerImage / best.MsPerImage)}x caffe's speed";
        return text;
    }

    public static string Short(ConvPlan p) => p.Mode switch
    {
        ConvMode.Caffe => "caffe",
        ConvMode.Packed => $"{p.Partitions}xpacked",
        _ => $"{p.Partitions}x{p.ImagesPerLowering}",
    };

    private static string Mib(long floats) => Fmt.G(floats * 4.0 / (1 << 20));

    public void Dispose()
    {
        if (!_workspace.IsNull) Device.Free(_workspace);
        _workspace = default;
    }
}
