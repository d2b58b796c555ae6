// ThroughputCache: the scheduler probe's images/s per device, kept in one JSON file
// beside the convolution plan cache ($XDG_CACHE_HOME/omnivore/device-throughput.json,
// else ~/.cache/omnivore/...), keyed by the machine (ConvPlanCache.MachineId), the net's
// hash, the probe batch and the device list, so that a second start on the same
// machine and net skips the probe. Unreadable or unwritable files cost a warning.
using System.Text.Json;
using System.Text.Json.Serialization;
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Scheduling;

public sealed record ThroughputEntry(double[] ImagesPerSecond, DateTime Measured);

public sealed class ThroughputCache
{
    private readonly Dictionary<string, ThroughputEntry> _entries;

    public ThroughputCache(string? path = null)
    {
        Path = path ?? DefaultPath();
        _entries = Load(Path);
    }

    public string Path { get; }

    public static string DefaultPath() =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(ConvPlanCache.DefaultPath())!, "device-throughput.json");

    public static string Key(string netHash, int probeBatch, IEnumerable<string> devices) =>
        $"{ConvPlanCache.MachineId()} | net {netHash} | n{probeBatch} | {string.Join(", ", devices)}";

    public bool TryGet(string key, out ThroughputEntry entry) => _entries.TryGetValue(key, out entry!);

    public void Put(string key, ThroughputEntry entry)
    {
        _entries[key] = entry;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            AtomicFile.Write(Path, s => JsonSerializer.Serialize(s, _entries, ThroughputJson.Default.DictionaryStringThroughputEntry));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OmnivoreException)
        {
            Log.Warning($"cannot write the device throughput cache '{Path}': {e.Message}");
        }
    }

    private static Dictionary<string, ThroughputEntry> Load(string path)
    {
        try
        {
            if (!File.Exists(path)) return [];
            using var s = File.OpenRead(path);
            return JsonSerializer.Deserialize(s, ThroughputJson.Default.DictionaryStringThroughputEntry) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.Warning($"ignoring the device throughput cache '{path}': {e.Message}");
            return [];
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(Dictionary<string, ThroughputEntry>))]
internal sealed partial class ThroughputJson : JsonSerializerContext;
