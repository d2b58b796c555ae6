// MemoryDataLayer: Caffe's "MemoryData": serves batches from arrays held in host memory
// (memory_data_param { batch_size channels height width }; tops data (N, C, H, W) and
// label (N)). The caller hands it data with Reset(data, labels, n), as Caffe's
// MemoryDataLayer::Reset (no copy, no transformation: Caffe warns when transform_param is
// given), or with AddDatumVector(datums), which applies transform_param through the
// DataTransformer as Caffe does. Each forward serves the next batch_size items, wrapping
// around after n.
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class MemoryDataLayer : Layer
{
    private int _batchSize, _channels, _height, _width, _size;
    private float[]? _data, _labels;
    private int _n, _pos;
    private bool _hasNewData;
    private DataTransformer? _transformer;

    public MemoryDataLayer(LayerContext c) : base(c) { }

    public override string Type => "MemoryData";
    protected override int ExactBottoms => 0;
    protected override int ExactTops => 2;

    public int BatchSize => _batchSize;
    public int Channels => _channels;
    public int Height => _height;
    public int Width => _width;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.MemoryDataParam ?? throw Error("missing memory_data_param");
        _batchSize = (int)p.BatchSize;
        _channels = (int)p.Channels;
        _height = (int)p.Height;
        _width = (int)p.Width;
        _size = _channels * _height * _width;
        if (_batchSize <= 0 || _size <= 0)
            throw Error("batch_size, channels, height and width must be specified and positive in memory_data_param");
        _transformer = new DataTransformer(Param.TransformParam, Phase, Name);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        top[0].Reshape(_batchSize, _channels, _height, _width);
        top[1].Reshape(_batchSize);
    }

    /// <summary>
    /// Serves data (n * C*H*W floats) and labels (n) from now on, starting at the first item;
    /// the arrays are used in place, not copied. n must be a positive multiple of batch_size.
    /// </summary>
    public void Reset(float[] data, float[] labels, int n)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(labels);
        if (Param.TransformParam is not null)
            Log.Warning($"{Type} does not transform array data on Reset()");
        Use(data, labels, n);
    }

    /// <summary>Transforms the datums with transform_param (as Caffe's AddDatumVector) and serves them.</summary>
    public void AddDatumVector(IReadOnlyList<Datum> datums)
    {
        if (_hasNewData) throw Error("can't add data until the current data has been consumed");
        if (datums.Count == 0) throw Error("there is no datum to add");
        var data = new float[(long)datums.Count * _size];
        var labels = new float[datums.Count];
        for (int i = 0; i < datums.Count; i++)
        {
            var d = datums[i];
            var shape = _transformer!.OutputShape(d.Channels, d.Height, d.Width);
            if (shape != (_channels, _height, _width))
                throw Error($"datum {i} becomes {shape.C}x{shape.H}x{shape.W} after transformation; " +
                            $"memory_data_param says {_channels}x{_height}x{_width}");
            try { _transformer.Transform(d, data.AsSpan(i * _size, _size), Context.Rng); }
            catch (OmnivoreException e) { throw Error(e.Message); }
            labels[i] = d.Label;
        }
        Use(data, labels, datums.Count);
        _hasNewData = true;
    }

    /// <summary>Changes the batch size (Caffe's set_batch_size); the tops follow at the next Reshape.</summary>
    public void SetBatchSize(int batchSize)
    {
        if (_hasNewData) throw Error("can't change batch_size until the current data has been consumed");
        if (batchSize <= 0) throw Error($"batch_size must be positive (got {batchSize})");
        if (_data is not null && _n % batchSize != 0)
            throw Error($"the {_n} items given are not a multiple of batch_size {batchSize}");
        _batchSize = batchSize;
        _pos = 0;
    }

    private void Use(float[] data, float[] labels, int n)
    {
        if (n <= 0 || n % _batchSize != 0)
            throw Error($"n must be a positive multiple of batch_size {_batchSize} (got {n})");
        if (data.LongLength < (long)n * _size)
            throw Error($"data holds {data.LongLength} floats; {n} items of {_channels}x{_height}x{_width} need {(long)n * _size}");
        if (labels.Length < n) throw Error($"labels holds {labels.Length} values for {n} items");
        _data = data;
        _labels = labels;
        _n = n;
        _pos = 0;
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (_data is null || _labels is null)
            throw Error("has no data: call Reset(data, labels, n) (or AddDatumVector) before running the net");
        top[0].UploadData(_data.AsSpan(_pos * _size, _batchSize * _size));
        top[1].UploadData(_labels.AsSpan(_pos, _batchSize));
        _pos = (_pos + _batchSize) % _n;
        if (_pos == 0) _hasNewData = false;
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
