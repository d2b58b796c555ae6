// ConvEngineOptions: how the convolution engine picks each layer's execution plan, as
// set from the command line (`--conv-mode`, `--partitions`, `--images-per-lowering`,
// `--memory-budget`, `--no-probe`) or by a test. Anything forced here wins over the
// probe; what is left free is chosen by the probe (or by the heuristic without one).
namespace Omnivore.Engine;

public sealed record ConvEngineOptions
{
    /// <summary>Forced mode; null lets the probe choose among batched, packed (where supported) and Caffe.</summary>
    public Core.ConvMode? Mode { get; init; }

    /// <summary>Forced partition count (batched mode); null: probe 1 and the core count.</summary>
    public int? Partitions { get; init; }

    /// <summary>Forced images per lowering (batched mode); null: probe a few values.</summary>
    public int? ImagesPerLowering { get; init; }

    /// <summary>Largest convolution workspace (shared by all conv layers of a run), bytes.</summary>
    public long MemoryBudgetBytes { get; init; } = 512L << 20;

    /// <summary>Time candidate plans on the real shapes at set-up (results cached per machine).</summary>
    public bool Probe { get; init; }

    /// <summary>The plan cache file; null: the default under $XDG_CACHE_HOME or ~/.cache; "": none.</summary>
    public string? CachePath { get; init; }

    /// <summary>What library code and tests get: no probe, heuristic plans, no cache.</summary>
    public static ConvEngineOptions Default { get; } = new() { CachePath = "" };

    /// <summary>What the `train` and `time` commands use unless told otherwise.</summary>
    public static ConvEngineOptions Probing { get; } = new() { Probe = true };

    public void Validate()
    {
        if (Partitions is < 1) throw new Core.OmnivoreException($"--partitions must be >= 1 (got {Partitions})");
        if (ImagesPerLowering is < 1) throw new Core.OmnivoreException($"--images-per-lowering must be >= 1 (got {ImagesPerLowering})");
        if (MemoryBudgetBytes < 1) throw new Core.OmnivoreException("--memory-budget must be positive");
        if (Mode == Core.ConvMode.Packed && ImagesPerLowering is > 1)
            throw new Core.OmnivoreException("--conv-mode packed lowers panels of 32 output columns, not whole images; drop --images-per-lowering");
        if (Mode == Core.ConvMode.Caffe && (Partitions is > 1 || ImagesPerLowering is > 1))
            throw new Core.OmnivoreException("--conv-mode caffe runs 1 partition x 1 image per lowering; drop --partitions/--images-per-lowering");
    }
}
