// ConvEngineCli: the convolution engine's command-line options, shared by `train` and
// `time`: --conv-mode auto|batched|packed|caffe, --partitions P, --images-per-lowering B,
// --memory-budget MiB, --no-probe, --conv-cache FILE. Forced values win over the probe;
// the rest is probed (and cached per machine) unless --no-probe.
using System.CommandLine;
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Cli.Commands;

public sealed class ConvEngineCli
{
    public Option<string> Mode { get; } = new("--conv-mode")
    {
        Description = "convolution engine: auto (probe batched and packed plans and Caffe's per-image mode), batched (lowering + sgemm), packed (lowering fused into Omnivore's AVX-512 kernel), or caffe",
        DefaultValueFactory = _ => "auto",
    };
    public Option<int?> Partitions { get; } = new("--partitions") { Description = "batched mode: partitions of the batch run concurrently (default: probed)" };
    public Option<int?> ImagesPerLowering { get; } = new("--images-per-lowering") { Description = "batched mode: images lowered into one matrix (default: probed)" };
    public Option<long> MemoryBudget { get; } = new("--memory-budget")
    {
        Description = "MiB the convolution workspace (shared by all conv layers) may use",
        DefaultValueFactory = _ => ConvEngineOptions.Probing.MemoryBudgetBytes >> 20,
    };
    public Option<bool> NoProbe { get; } = new("--no-probe") { Description = "skip the plan probe and its cache; use the heuristic plan" };
    public Option<string?> Cache { get; } = new("--conv-cache") { Description = "plan cache file (default ~/.cache/omnivore/conv-plans.json; '' for none)" };

    public void AddTo(Command cmd)
    {
        cmd.Add(Mode);
        cmd.Add(Partitions);
        cmd.Add(ImagesPerLowering);
        cmd.Add(MemoryBudget);
        cmd.Add(NoProbe);
        cmd.Add(Cache);
    }

    public ConvEngineOptions Read(ParseResult r) =>
        Parse(r.GetValue(Mode)!, r.GetValue(Partitions), r.GetValue(ImagesPerLowering), r.GetValue(MemoryBudget),
            r.GetValue(NoProbe), r.GetValue(Cache));

    public static ConvEngineOptions Parse(string mode, int? partitions, int? imagesPerLowering, long budgetMiB, bool noProbe, string? cache)
    {
        ConvMode? m = mode.ToLowerInvariant() switch
        {
            "auto" => partitions is not null || imagesPerLowering is not null ? ConvMode.Batched : null,
            "batched" => ConvMode.Batched,
            "caffe" => ConvMode.Caffe,
            "packed" => ConvMode.Packed,
            _ => throw new OmnivoreException($"--conv-mode must be auto, batched, packed or caffe, not '{mode}'"),
        };
        if (budgetMiB <= 0) throw new OmnivoreException($"--memory-budget must be positive (got {budgetMiB})");
        var o = new ConvEngineOptions
        {
            Mode = m, Partitions = partitions, ImagesPerLowering = imagesPerLowering,
            MemoryBudgetBytes = budgetMiB << 20, Probe = !noProbe, CachePath = cache,
        };
        o.Validate();
        return o;
    }
}
