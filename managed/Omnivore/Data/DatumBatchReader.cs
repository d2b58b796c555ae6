// DatumBatchReader: the prefetching half of the data layers. A background thread reads
// Datums from a source (an LMDB, or a list of image files), transforms them and fills
// whole batches (data and labels) into a bounded queue, so reading overlaps the
// forward/backward pass. Each batch carries the position after it (record, key, and the
// transformer's random state), so the reader knows where the next batch the consumer
// takes starts, however far the thread has read ahead; Seek goes back there (resume).
using System.Collections.Concurrent;
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public sealed class DatumBatchReader : IDisposable
{
    public sealed class Batch
    {
        public required float[] Data;
        public required float[] Labels;
        /// <summary>Where the batch after this one starts (null for a source that cannot seek).</summary>
        public OmnivoreDataPosition? After;
    }

    private readonly IDatumSource _cursor;
    private readonly DataTransformer _transformer;
    private readonly Rng _rng;
    private readonly int _batchSize;
    private readonly int _prefetch;
    private BlockingCollection<Batch> _full = null!;
    private readonly ConcurrentBag<Batch> _free = [];
    private CancellationTokenSource _stop = null!;
    private Thread _thread = null!;
    private Exception? _failure;
    private OmnivoreDataPosition? _next;

    public DatumBatchReader(string source, int batchSize, int prefetch, DataTransformer transformer, Rng rng, uint randSkip)
        : this(new LmdbDatumSource(source), batchSize, prefetch, transformer, rng, randSkip) { }

    /// <summary>Reads from any source; the reader owns and disposes it.</summary>
    public DatumBatchReader(IDatumSource source, int batchSize, int prefetch, DataTransformer transformer, Rng rng, uint randSkip)
    {
        _cursor = source;
        _transformer = transformer;
        _rng = rng;
        _batchSize = batchSize;
        try
        {
            if (randSkip > 0)
            {
                int skip = rng.Next((int)randSkip);
                Log.Info($"Skipping first {skip} data points.");
                for (int i = 0; i < skip; i++) _cursor.MoveNext();
            }
            First = transformer.Decode(_cursor.Current());
            (Channels, Height, Width) = transformer.OutputShape(First.Channels, First.Height, First.Width);
        }
        catch
        {
            _cursor.Dispose(); // an undisposed LMDB handle crashes the process in its finalizer
            throw;
        }
        Source = source.Name;
        _prefetch = Math.Max(prefetch, 1);
        _next = Position();
        StartThread();
    }

    private void StartThread()
    {
        _failure = null;
        _full = new BlockingCollection<Batch>(_prefetch);
        _stop = new CancellationTokenSource();
        _thread = new Thread(Run) { IsBackground = true, Name = $"prefetch {Source}" };
        _thread.Start();
    }

    private void StopThread()
    {
        _stop.Cancel();
        _thread.Join();
        while (_full.TryTake(out var b)) _free.Add(b);
        _full.Dispose();
        _stop.Dispose();
    }

    /// <summary>The source's current position and the transformer's random state (null: cannot seek).</summary>
    private OmnivoreDataPosition? Position() => _cursor is ISeekableDatumSource s
        ? new OmnivoreDataPosition { Record = s.Index, Key = ByteString.CopyFrom(s.Key), Rng = _rng.Save() }
        : null;

    /// <summary>Where the next batch Take returns starts; null when the source cannot seek.</summary>
    public OmnivoreDataPosition? NextPosition => _next?.Clone();

    /// <summary>Drops the batches read ahead and continues from a saved position (main thread, between Takes).</summary>
    public void Seek(OmnivoreDataPosition p)
    {
        if (_cursor is not ISeekableDatumSource s) throw new OmnivoreException($"'{Source}' cannot go back to a saved position");
        StopThread();
        try
        {
            s.Seek(p.Record, p.HasKey ? p.Key.ToByteArray() : null);
            if (p.Rng is not null) _rng.Restore(p.Rng);
            _next = Position();
        }
        finally
        {
            StartThread();
        }
    }

    public string Source { get; }
    public Datum First { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public long Records => _cursor.Count;

    /// <summary>Waits for the next full batch; give it back with Recycle when copied.</summary>
    public Batch Take()
    {
        try
        {
            var batch = _full.Take(_stop.Token);
            _next = batch.After;
            return batch;
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            throw new OmnivoreException($"data from '{Source}': {_failure?.Message ?? "prefetch stopped"}", _failure ?? e);
        }
    }

    public void Recycle(Batch b) => _free.Add(b);

    private void Run()
    {
        int per = Channels * Height * Width;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (!_free.TryTake(out var batch))
                    batch = new Batch { Data = new float[(long)per * _batchSize], Labels = new float[_batchSize] };
                for (int i = 0; i < _batchSize; i++)
                {
                    batch.Labels[i] = ReadOne(batch.Data.AsSpan(i * per, per));
                    _cursor.MoveNext();
                    if (_cursor.Wrapped) Log.Info("Restarting data prefetching from start.");
                }
                batch.After = Position();
                _full.Add(batch, _stop.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            _failure = e;
            _full.CompleteAdding();
        }
    }

    /// <summary>Transforms the current record into dst and returns its label; errors name the record.</summary>
    private float ReadOne(Span<float> dst)
    {
        try
        {
            var datum = _transformer.Decode(_cursor.Current());
            if (datum.Channels != First.Channels || datum.Height != First.Height || datum.Width != First.Width)
                throw new OmnivoreException($"{_cursor.CurrentName} is {datum.Channels}x{datum.Height}x{datum.Width}, " +
                                            $"expected {First.Channels}x{First.Height}x{First.Width} as the first record");
            _transformer.Transform(datum, dst, _rng);
            return datum.Label;
        }
        catch (OmnivoreException e) when (!e.Message.Contains(_cursor.CurrentName, StringComparison.Ordinal))
        {
            throw new OmnivoreException($"{_cursor.CurrentName}: {e.Message}", e);
        }
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        StopThread();
        _cursor.Dispose();
    }
}
