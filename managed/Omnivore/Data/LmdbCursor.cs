// LmdbCursor: reads an LMDB dataset's values in key order, wrapping around at the end
// (as Caffe's data layers do), with a clear error for an empty database.
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

    private byte[] _current = [];

    private void First()
    {
        var (rc, _, value) = _cursor.First();
        if (rc != MDBResultCode.Success) throw new OmnivoreException($"LMDB '{_path}': cannot read the first record ({rc})");
        _current = value.CopyToNewArray();
    }

    /// <summary>The current value.</summary>
    public byte[] Current() => _current;

    public void MoveNext()
    {
        Wrapped = false;
        var (rc, _, value) = _cursor.Next();
        if (rc == MDBResultCode.NotFound)
        {
            First();
            Wrapped = true;
        }
        else if (rc != MDBResultCode.Success) throw new OmnivoreException($"LMDB '{_path}': read failed ({rc})");
        else _current = value.CopyToNewArray();
    }

    public void Dispose()
    {
        _cursor?.Dispose();
        _txn?.Dispose();
        _db?.Dispose();
        _env.Dispose();
    }
}
