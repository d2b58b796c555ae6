// ConvPlanCache: the convolution probe's results kept per machine in one JSON file
// ($XDG_CACHE_HOME/omnivore/conv-plans.json, else ~/.cache/omnivore/conv-plans.json),
// keyed by CPU model, core count, device and BLAS, and the layer's shape, batch and
// probe settings, so a second run on the same machine starts without probing. A cache
// that cannot be read or written only costs a warning and a new probe.
using System.Text.Json.Serialization;
using Omnivore.Core;

namespace Omnivore.Engine;

/// <summary>One measured candidate: its plan and milliseconds per image.</summary>
public sealed record ConvTiming(int Partitions, int ImagesPerLowering, ConvMode Mode, double MsPerImage)
{
    public ConvPlan Plan => new(Partitions, ImagesPerLowering, Mode);
}

/// <summary>The plan chosen for a key, with the probe's timings.</summary>
public sealed record ConvCacheEntry(int Partitions, int ImagesPerLowering, ConvMode Mode, List<ConvTiming> Timings)
{
    public ConvPlan Plan => new(Partitions, ImagesPerLowering, Mode);
}

public sealed class ConvPlanCache
{
    /// <summary>Bumped whenever the native convolution kernels change speed or the probe
    /// measures differently (3: confirming rounds, best of 3; 4: the packed engine; 5: its
    /// direct path for few-channel layers, and probes without the data gradient where the
    /// net needs none), so that
    /// plans measured before are probed again rather than trusted.</summary>
    public const int KernelGeneration = 5;

    private readonly JsonFileCache<ConvCacheEntry> _file;

    public ConvPlanCache(string path) =>
        _file = new JsonFileCache<ConvCacheEntry>(path, ConvCacheJson.Default.DictionaryStringConvCacheEntry, "convolution plan cache");

    public string Path => _file.Path;
    public int Count => _file.Count;

    /// <summary>The default file: $XDG_CACHE_HOME/omnivore/conv-plans.json or ~/.cache/omnivore/conv-plans.json.</summary>
    public static string DefaultPath() => JsonFileCache<ConvCacheEntry>.DefaultPath("conv-plans.json");

    /// <summary>"CPU model | cores" of this machine, the first part of every key.</summary>
    public static string MachineId()
    {
        string model = "unknown CPU";
        try
        {
            if (File.Exists("/proc/cpuinfo"))
                model = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                    ?.Split(':', 2)[1].Trim() ?? model;
        }
        catch (IOException) { }
        return $"{model} | {Environment.ProcessorCount} cores";
    }

    public bool TryGet(string key, out ConvCacheEntry entry) => _file.TryGet(key, out entry);

    /// <summary>Records an entry and rewrites the file (atomically); failures are warnings.</summary>
    public void Put(string key, ConvCacheEntry entry) => _file.Put(key, entry);
}

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Dictionary<string, ConvCacheEntry>))]
internal sealed partial class ConvCacheJson : JsonSerializerContext;
