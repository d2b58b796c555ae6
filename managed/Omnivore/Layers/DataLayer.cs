// DataLayer: reads Caffe Datum records from an LMDB (data_param { source backend: LMDB
// batch_size }) and produces data (N, C, H, W) and, with a second top, labels (N).
// Batches are prepared ahead on a background thread (DatumBatchReader).
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class DataLayer : Layer
{
    private DatumBatchReader? _reader;
    private int _batchSize;

    public DataLayer(LayerContext c) : base(c) { }

    public override string Type => "Data";
    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DataParam ?? throw Error("missing data_param");
        if (p.Backend != DataParameter.Types.DB.Lmdb)
            throw Error($"backend {p.Backend} is not supported; Omnivore reads LMDB (set backend: LMDB)");
        if (!p.HasSource || p.Source.Length == 0) throw Error("data_param.source is required");
        _batchSize = (int)p.BatchSize;
        if (_batchSize <= 0) throw Error("data_param.batch_size must be positive");
        var transform = Param.TransformParam?.Clone() ?? new TransformationParameter();
        // Deprecated data_param fields, honoured as Caffe's upgrade does.
        if (p.HasScale && !transform.HasScale) transform.Scale = p.Scale;
        if (p.HasMeanFile && !transform.HasMeanFile) transform.MeanFile = p.MeanFile;
        if (p.HasCropSize && !transform.HasCropSize) transform.CropSize = p.CropSize;
        if (p.HasMirror && !transform.HasMirror) transform.Mirror = p.Mirror;
        var transformer = new DataTransformer(transform, Phase, Name) { ForceEncodedColor = p.ForceEncodedColor };
        try
        {
            _reader = new DatumBatchReader(p.Source, _batchSize, (int)p.Prefetch, transformer, Context.Rng.Fork(), p.RandSkip);
        }
        catch (OmnivoreException e)
        {
            throw Error(e.Message);
        }
        Log.Info($"Opened lmdb {p.Source}");
        top[0].Reshape(_batchSize, _reader.Channels, _reader.Height, _reader.Width);
        Log.Info($"output data size: {_batchSize},{_reader.Channels},{_reader.Height},{_reader.Width}");
        if (top.Count > 1) top[1].Reshape(_batchSize);
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var batch = _reader!.Take();
        try
        {
            top[0].UploadData(batch.Data);
            if (top.Count > 1) top[1].UploadData(batch.Labels);
        }
        finally
        {
            _reader.Recycle(batch);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    public override void Dispose()
    {
        base.Dispose();
        _reader?.Dispose();
    }
}
