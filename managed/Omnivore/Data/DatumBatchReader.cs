// DatumBatchReader: the prefetching half of the data layers. A background thread reads
// Datums from a source (an LMDB, or a list of image files), transforms them and fills
// whole batches (data and labels) into a bounded queue, so reading overlaps the
// forward/backward pass.
using System.Collections.Concurrent;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public sealed class DatumBatchReader : IDisposable
{
    public sealed class Batch
    {
        public required float[] Data;
        public required float[] Labels;
    }

    private readonly IDatumSource _cursor;
    private readonly DataTransformer _transformer;
    private readonly Rng _rng;
    private readonly int _batchSize;
    private readonly BlockingCollection<Batch> _full;
    private readonly ConcurrentBag<Batch> _free = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private Exception? _failure;

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
        _full = new BlockingCollection<Batch>(Math.Max(prefetch, 1));
        _thread = new Thread(Run) { IsBackground = true, Name = $"prefetch {Source}" };
        _thread.Start();
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
            return _full.Take(_stop.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            throw new OmnivoreException($"data prefetch from '{Source}' failed: {_failure?.Message ?? "stopped"}", _failure ?? e);
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
                    var datum = _transformer.Decode(_cursor.Current());
                    if (datum.Channels != First.Channels || datum.Height != First.Height || datum.Width != First.Width)
                        throw new OmnivoreException($"'{Source}': record of {datum.Channels}x{datum.Height}x{datum.Width} " +
                                                    $"in a dataset of {First.Channels}x{First.Height}x{First.Width} images");
                    _transformer.Transform(datum, batch.Data.AsSpan(i * per, per), _rng);
                    batch.Labels[i] = datum.Label;
                    _cursor.MoveNext();
                    if (_cursor.Wrapped) Log.Info("Restarting data prefetching from start.");
                }
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

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _thread.Join();
        _cursor.Dispose();
        _full.Dispose();
        _stop.Dispose();
    }
}
