// ThroughputCache: the scheduler probe's images/s per device, kept in one JSON file
// beside the convolution plan cache ($XDG_CACHE_HOME/omnivore/device-throughput.json,
// else ~/.cache/omnivore/...), keyed by the machine (ConvPlanCache.MachineId), the net's
// hash, the probe batch and the device list, so that a second start on the same
// machine and net skips the probe. Unreadable or unwritable files cost a warning.
using System.Text.Json.Serialization;
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Scheduling;

public sealed record ThroughputEntry(double[] ImagesPerSecond, DateTime Measured);

public sealed class ThroughputCache
{
    private readonly JsonFileCache<ThroughputEntry> _file;

    public ThroughputCache(string? path = null) =>
        _file = new JsonFileCache<ThroughputEntry>(path ?? DefaultPath(), ThroughputJson.Default.DictionaryStringThroughputEntry,
                                                   "device throughput cache");

    public string Path => _file.Path;

    public static string DefaultPath() => JsonFileCache<ThroughputEntry>.DefaultPath("device-throughput.json");

    public static string Key(string netHash, int probeBatch, IEnumerable<string> devices) =>
        $"{ConvPlanCache.MachineId()} | net {netHash} | n{probeBatch} | {string.Join(", ", devices)}";

    public bool TryGet(string key, out ThroughputEntry entry) => _file.TryGet(key, out entry);

    public void Put(string key, ThroughputEntry entry) => _file.Put(key, entry);
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, ThroughputEntry>))]
internal sealed partial class ThroughputJson : JsonSerializerContext;
