// LmdbCursor: reads an LMDB dataset's values in key order, wrapping around at the end
// (as Caffe's data layers do), with a clear error for an empty database. It knows the
// current record's index and key, and can go back to a saved position (exact resume).
using LightningDB;
using Omnivore.Core;

namespace Omnivore.Data;

public sealed class LmdbCursor : IDisposable
{
    private readonly LightningEnvironment _env;
    private readonly LightningTransaction _txn;
    private readonly LightningDatabase _db;
    private readonly LightningCursor _cursor;
    private readonly string _path;

    public LmdbCursor(string path)
    {
        _path = path;
        _env = Lmdb.OpenRead(path);
        try
        {
            _txn = _env.BeginTransaction(TransactionBeginFlags.ReadOnly);
            _db = _txn.OpenDatabase();
            _cursor = _txn.CreateCursor(_db);
            Count = _txn.GetEntriesCount(_db);
            if (Count == 0) throw new OmnivoreException($"LMDB '{path}' holds no records");
            First();
        }
        catch
        {
            // LightningDB's finalizers throw for undisposed handles, which kills the process.
            Dispose();
            throw;
        }
    }

    public long Count { get; }

    /// <summary>Set when the last MoveNext wrapped around to the first record.</summary>
    public bool Wrapped { get; private set; }

    private byte[] _current = [], _key = [];

    /// <summary>The current record's position from the first (0 .. Count-1).</summary>
    public long Index { get; private set; }

    /// <summary>The current record's key.</summary>
    public byte[] Key => _key;

    private void First()
    {
        var (rc, key, value) = _cursor.First();
        if (rc != MDBResultCode.Success) throw new OmnivoreException($"LMDB '{_path}': cannot read the first record ({rc})");
        _current = value.CopyToNewArray();
        _key = key.CopyToNewArray();
        Index = 0;
    }

    /// <summary>Goes to the record with this key (at this index); without the key, counts from the first.</summary>
    public void Seek(long index, byte[]? key)
    {
        if (index < 0 || index >= Count)
            throw new OmnivoreException($"LMDB '{_path}': saved position {index} is outside its {Count} records (a different dataset?)");
        if (key is { Length: > 0 })
        {
            var (rc, k, value) = _cursor.SetKey(key);
            if (rc != MDBResultCode.Success)
                throw new OmnivoreException($"LMDB '{_path}': the saved position's key '{KeyText(key)}' is not in the database (a different dataset?)");
            _current = value.CopyToNewArray();
            _key = k.CopyToNewArray();
            Index = index;
            return;
        }
        First();
        for (long i = 0; i < index; i++) MoveNext();
    }

    /// <summary>A key as text when printable (Caffe's keys are "%08d" or "%08d_name"), else hex.</summary>
    public static string KeyText(byte[] key) =>
        key.All(b => b is >= 0x20 and < 0x7f) ? System.Text.Encoding.ASCII.GetString(key) : Convert.ToHexString(key);

    /// <summary>The current value.</summary>
    public byte[] Current() => _current;

    public void MoveNext()
    {
        Wrapped = false;
        var (rc, key, value) = _cursor.Next();
        if (rc == MDBResultCode.NotFound)
        {
            First();
            Wrapped = true;
        }
        else if (rc != MDBResultCode.Success) throw new OmnivoreException($"LMDB '{_path}': read failed after key '{KeyText(_key)}' ({rc})");
        else
        {
            _current = value.CopyToNewArray();
            _key = key.CopyToNewArray();
            Index++;
        }
    }

    public void Dispose()
    {
        _cursor?.Dispose();
        _txn?.Dispose();
        _db?.Dispose();
        _env.Dispose();
    }
}
