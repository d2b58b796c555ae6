// ImageDataLayer: reads images named in a list file ("path label" per line, paths
// relative to root_folder), decodes and optionally resizes them (new_height/new_width,
// is_color), reshuffles every epoch when asked, and produces data (N, C, H, W) and labels
// (N) through the same prefetching reader and transformer as the Data layer.
using Omnivore.Core;
using Omnivore.Data;

namespace Omnivore.Layers;

public sealed class ImageDataLayer : PrefetchingDataLayer
{
    public ImageDataLayer(LayerContext c) : base(c) { }

    public override string Type => "ImageData";

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ImageDataParam ?? throw Error("missing image_data_param");
        if (!p.HasSource || p.Source.Length == 0) throw Error("image_data_param.source (the list file) is required");
        int batch = (int)p.BatchSize;
        if (batch <= 0) throw Error("image_data_param.batch_size must be positive");
        if ((p.NewHeight > 0) != (p.NewWidth > 0)) throw Error("give both new_height and new_width, or neither");
        var transform = Transform(p.HasScale ? p.Scale : null, p.HasMeanFile ? p.MeanFile : null,
                                  p.HasCropSize ? p.CropSize : null, p.HasMirror ? p.Mirror : null);
        var options = new ImageSetOptions(Gray: !p.IsColor, ResizeHeight: (int)p.NewHeight, ResizeWidth: (int)p.NewWidth);
        Open(() =>
        {
            var rng = Context.Rng.Fork();
            var source = new ImageListSource(p.Source, p.RootFolder, options, p.Shuffle ? rng.Fork() : null);
            if (p.RandSkip > 0) source.Skip(rng.Next((int)p.RandSkip));
            Log.Info($"A total of {source.Count} images.");
            return new DatumBatchReader(source, batch, 4, new DataTransformer(transform, Phase, Name), rng, 0);
        }, batch, top);
    }
}
