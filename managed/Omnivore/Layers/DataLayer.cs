// DataLayer: reads Caffe Datum records (raw or encoded images) from an LMDB
// (data_param { source backend: LMDB batch_size }) and produces data (N, C, H, W) and,
// with a second top, labels (N), prefetched on a background thread.
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class DataLayer : PrefetchingDataLayer
{
    public DataLayer(LayerContext c) : base(c) { }

    public override string Type => "Data";

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DataParam ?? throw Error("missing data_param");
        if (p.Backend != DataParameter.Types.DB.Lmdb)
            throw Error($"backend {p.Backend} is not supported; Omnivore reads LMDB (set backend: LMDB)");
        if (!p.HasSource || p.Source.Length == 0) throw Error("data_param.source is required");
        int batch = (int)p.BatchSize;
        if (batch <= 0) throw Error("data_param.batch_size must be positive");
        var transform = Transform(p.HasScale ? p.Scale : null, p.HasMeanFile ? p.MeanFile : null,
                                  p.HasCropSize ? p.CropSize : null, p.HasMirror ? p.Mirror : null);
        var transformer = new DataTransformer(transform, Phase, Name) { ForceEncodedColor = p.ForceEncodedColor };
        Open(() => new DatumBatchReader(p.Source, batch, (int)p.Prefetch, transformer, Context.Rng.Fork(), p.RandSkip), batch, top);
        Log.Info($"Opened lmdb {p.Source}");
    }
}
