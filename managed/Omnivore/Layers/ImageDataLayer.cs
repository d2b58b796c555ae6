// ImageDataLayer: reads images named in a list file ("path label" per line, paths
// relative to root_folder), decodes and optionally resizes them (new_height/new_width,
// is_color), reshuffles every epoch when asked, and produces data (N, C, H, W) and labels
// (N) through the same prefetching reader and transformer as the Data layer.
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ImageDataLayer : Layer
{
    private DatumBatchReader? _reader;

    public ImageDataLayer(LayerContext c) : base(c) { }

    public override string Type => "ImageData";
    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ImageDataParam ?? throw Error("missing image_data_param");
        if (!p.HasSource || p.Source.Length == 0) throw Error("image_data_param.source (the list file) is required");
        int batch = (int)p.BatchSize;
        if (batch <= 0) throw Error("image_data_param.batch_size must be positive");
        if ((p.NewHeight > 0) != (p.NewWidth > 0)) throw Error("give both new_height and new_width, or neither");
        var transform = Param.TransformParam?.Clone() ?? new TransformationParameter();
        if (p.HasScale && !transform.HasScale) transform.Scale = p.Scale;
        if (p.HasMeanFile && !transform.HasMeanFile) transform.MeanFile = p.MeanFile;
        if (p.HasCropSize && !transform.HasCropSize) transform.CropSize = p.CropSize;
        if (p.HasMirror && !transform.HasMirror) transform.Mirror = p.Mirror;
        var options = new ImageSetOptions(Gray: !p.IsColor, ResizeHeight: (int)p.NewHeight, ResizeWidth: (int)p.NewWidth);
        try
        {
            var rng = Context.Rng.Fork();
            var source = new ImageListSource(p.Source, p.RootFolder, options, p.Shuffle ? rng.Fork() : null);
            if (p.RandSkip > 0) source.Skip(rng.Next((int)p.RandSkip));
            Log.Info($"A total of {source.Count} images.");
            _reader = new DatumBatchReader(source, batch, 4, new DataTransformer(transform, Phase, Name), rng, 0);
        }
        catch (OmnivoreException e)
        {
            throw Error(e.Message);
        }
        top[0].Reshape(batch, _reader.Channels, _reader.Height, _reader.Width);
        Log.Info($"output data size: {batch},{_reader.Channels},{_reader.Height},{_reader.Width}");
        if (top.Count > 1) top[1].Reshape(batch);
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
