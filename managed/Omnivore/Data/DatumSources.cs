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
    /// <summary>The current record as errors name it (an LMDB key, an image file).</summary>
    string CurrentName { get; }
}

/// <summary>A source that can say where it is and go back there (for an exact resume).</summary>
public interface ISeekableDatumSource : IDatumSource
{
    long Index { get; }
    byte[] Key { get; }
    void Seek(long index, byte[]? key);
}

public sealed class LmdbDatumSource(string path) : ISeekableDatumSource
{
    private readonly LmdbCursor _cursor = new(path);

    public string Name => path;
    public long Count => _cursor.Count;
    public bool Wrapped => _cursor.Wrapped;
    public string CurrentName => $"record '{LmdbCursor.KeyText(_cursor.Key)}'";
    public long Index => _cursor.Index;
    public byte[] Key => _cursor.Key;

    public Datum Current()
    {
        try
        {
            return Datum.Parser.ParseFrom(_cursor.Current());
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new OmnivoreException($"LMDB '{path}': {CurrentName} is not a valid Datum " +
                                        $"({_cursor.Current().Length} bytes, corrupt or not written by convert_imageset: {e.Message})", e);
        }
    }

    public void MoveNext() => _cursor.MoveNext();
    public void Seek(long index, byte[]? key) => _cursor.Seek(index, key);
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
    public string CurrentName => $"image '{_root + _lines[_index].Path}'";

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
