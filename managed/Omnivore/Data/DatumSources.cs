// DatumSources: where data layers read Datums from, one record after another with
// wrap-around: an LMDB (the Data layer) or a list of image files (the ImageData layer,
// decoded and optionally resized and reshuffled every epoch, as Caffe's).
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public interface IDatumSource : IDisposable
{
    string Name { get; }
    long Count { get; }
    /// <summary>Set when the last MoveNext wrapped around to the first record.</summary>
    bool Wrapped { get; }
    Datum Current();
    void MoveNext();
}

public sealed class LmdbDatumSource(string path) : IDatumSource
{
    private readonly LmdbCursor _cursor = new(path);

    public string Name => path;
    public long Count => _cursor.Count;
    public bool Wrapped => _cursor.Wrapped;
    public Datum Current() => Datum.Parser.ParseFrom(_cursor.Current());
    public void MoveNext() => _cursor.MoveNext();
    public void Dispose() => _cursor.Dispose();
}

public sealed class ImageListSource : IDatumSource
{
    private readonly List<(string Path, int Label)> _lines;
    private readonly string _root;
    private readonly ImageSetOptions _options;
    private readonly Rng? _shuffle;
    private int _index;

    public ImageListSource(string listFile, string rootFolder, ImageSetOptions options, Rng? shuffle)
    {
        Name = listFile;
        _root = rootFolder;
        _options = options;
        _shuffle = shuffle;
        _lines = ImageSetConverter.ReadList(listFile);
        if (_shuffle is not null) Shuffle();
    }

    public string Name { get; }
    public long Count => _lines.Count;
    public bool Wrapped { get; private set; }

    public Datum Current()
    {
        var (path, label) = _lines[_index];
        return ImageSetConverter.ToDatum(_root + path, label, _options);
    }

    public void MoveNext()
    {
        Wrapped = ++_index >= _lines.Count;
        if (!Wrapped) return;
        _index = 0;
        if (_shuffle is not null) Shuffle();
    }

    /// <summary>Skips the first n records (image_data_param.rand_skip).</summary>
    public void Skip(int n)
    {
        for (int i = 0; i < n; i++) MoveNext();
    }

    private void Shuffle()
    {
        for (int i = _lines.Count - 1; i > 0; i--)
        {
            int j = _shuffle!.Next(i + 1);
            (_lines[i], _lines[j]) = (_lines[j], _lines[i]);
        }
    }

    public void Dispose() { }
}
