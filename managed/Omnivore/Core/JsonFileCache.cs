// JsonFileCache: a small key -> entry map kept in one JSON file under the user's cache
// folder (the convolution plan cache, the scheduler's device throughputs). Entries are
// read once; every Put rewrites the file atomically. A file that cannot be read or
// written costs one warning naming what it is, never the run.
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Omnivore.Core;

public sealed class JsonFileCache<T>
{
    private readonly Dictionary<string, T> _entries;
    private readonly JsonTypeInfo<Dictionary<string, T>> _json;
    private readonly string _what;

    /// <param name="what">How warnings name the file, e.g. "convolution plan cache".</param>
    public JsonFileCache(string path, JsonTypeInfo<Dictionary<string, T>> json, string what)
    {
        Path = path;
        _json = json;
        _what = what;
        _entries = Load();
    }

    public string Path { get; }
    public int Count => _entries.Count;

    /// <summary>$XDG_CACHE_HOME/omnivore/NAME, else ~/.cache/omnivore/NAME.</summary>
    public static string DefaultPath(string name)
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
            root = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(root, "omnivore", name);
    }

    public bool TryGet(string key, out T entry) => _entries.TryGetValue(key, out entry!);

    /// <summary>Records an entry and rewrites the file (atomically); failures are warnings.</summary>
    public void Put(string key, T entry)
    {
        _entries[key] = entry;
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
            AtomicFile.Write(Path, s => JsonSerializer.Serialize(s, _entries, _json));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OmnivoreException)
        {
            Log.Warning($"cannot write the {_what} '{Path}': {e.Message}");
        }
    }

    private Dictionary<string, T> Load()
    {
        try
        {
            if (!File.Exists(Path)) return [];
            using var s = File.OpenRead(Path);
            return JsonSerializer.Deserialize(s, _json) ?? [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            Log.Warning($"ignoring the {_what} '{Path}': {e.Message}");
            return [];
        }
    }
}
