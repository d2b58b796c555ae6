// PrefetchingDataLayer: what the Data and ImageData layers share. The subclass opens a
// DatumBatchReader (which prepares batches on a background thread); this class sizes the
// tops from it and copies one prepared batch into them per forward pass. It saves and
// restores the position of the next batch it will copy (exact resume).
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public abstract class PrefetchingDataLayer : Layer, IResumableData
{
    private DatumBatchReader? _reader;

    protected PrefetchingDataLayer(LayerContext c) : base(c) { }

    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;

    /// <summary>The layer's transform_param with the deprecated per-layer fields folded in, as Caffe's upgrade.</summary>
    protected TransformationParameter Transform(float? scale, string? meanFile, uint? cropSize, bool? mirror)
    {
        var t = Param.TransformParam?.Clone() ?? new TransformationParameter();
        if (scale is float s && !t.HasScale) t.Scale = s;
        if (meanFile is not null && !t.HasMeanFile) t.MeanFile = meanFile;
        if (cropSize is uint c && !t.HasCropSize) t.CropSize = c;
        if (mirror is bool m && !t.HasMirror) t.Mirror = m;
        return t;
    }

    /// <summary>Opens the reader (errors name this layer) and sizes the data and label tops.</summary>
    protected void Open(Func<DatumBatchReader> open, int batchSize, IReadOnlyList<Blob> top)
    {
        try
        {
            _reader = open();
        }
        catch (OmnivoreException e)
        {
            throw Error(e.Message);
        }
        top[0].Reshape(batchSize, _reader.Channels, _reader.Height, _reader.Width);
        Log.Info($"output data size: {batchSize},{_reader.Channels},{_reader.Height},{_reader.Width}");
        if (top.Count > 1) top[1].Reshape(batchSize);
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

    public OmnivoreDataPosition? SavePosition()
    {
        if (_reader?.NextPosition is not { } p) return null;
        p.Layer = Name;
        return p;
    }

    public void RestorePosition(OmnivoreDataPosition position)
    {
        try
        {
            _reader!.Seek(position);
        }
        catch (OmnivoreException e)
        {
            throw Error(e.Message);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }

    public override void Dispose()
    {
        base.Dispose();
        _reader?.Dispose();
    }
}
