// DummyDataLayer: tops of given shapes filled by fillers (constant by default), refilled
// every forward unless every filler is constant, as Caffe does. Used by benchmark nets.
// Uniform and (dense) gaussian tops are filled on the device by counter-based fills
// seeded from the run's Rng; other filler types go through Filler on the host.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class DummyDataLayer : Layer
{
    private readonly List<FillerParameter> _fillers = [];
    private bool _refill;

    public DummyDataLayer(LayerContext c) : base(c) { }

    public override string Type => "DummyData";
    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.DummyDataParam ?? throw Error("missing dummy_data_param");
        int n = top.Count;
        int legacy = p.Num.Count;
        if (p.Shape.Count > 0 && legacy > 0) throw Error("give either shape or num/channels/height/width, not both");
        int shapes = p.Shape.Count > 0 ? p.Shape.Count : legacy;
        if (shapes != 1 && shapes != n) throw Error($"{shapes} shapes given for {n} tops (give 1 or one per top)");
        if (p.DataFiller.Count != 0 && p.DataFiller.Count != 1 && p.DataFiller.Count != n)
            throw Error($"{p.DataFiller.Count} data_filler given for {n} tops (give 0, 1 or one per top)");
        for (int i = 0; i < n; i++)
        {
            int s = shapes == 1 ? 0 : i;
            int[] shape = p.Shape.Count > 0
                ? p.Shape[s].Dim.Select(d => checked((int)d)).ToArray()
                : [Legacy(p.Num, "num", i, n), Legacy(p.Channels, "channels", i, n),
                   Legacy(p.Height, "height", i, n), Legacy(p.Width, "width", i, n)];
            top[i].Reshape(shape);
            var f = p.DataFiller.Count == 0 ? new FillerParameter { Type = "constant", Value = 0 }
                  : p.DataFiller[p.DataFiller.Count == 1 ? 0 : i];
            _fillers.Add(f);
            if (f.Type != "constant") _refill = true;
            Fill(top[i], f);
        }
    }

    /// <summary>A legacy dimension for top i: each field is given once or once per top, as in Caffe.</summary>
    private int Legacy(IList<uint> values, string field, int i, int n) =>
        values.Count == 1 ? (int)values[0]
        : values.Count == n ? (int)values[i]
        : throw Error($"{values.Count} {field} values given for {n} tops (give 1 or one per top)");

    private void Fill(Blob top, FillerParameter f)
    {
        switch (f.Type)
        {
            case "constant":
                Device.Set(top.Data, f.Value);
                break;
            case "uniform":
                if (!(f.Min <= f.Max)) throw Error($"uniform filler needs min <= max (got {f.Min}, {f.Max})");
                Device.FillUniform(top.Data, f.Min, f.Max, Context.Rng.NextSeed());
                break;
            case "gaussian" when f.Sparse < 0:
                if (!(f.Std >= 0)) throw Error($"gaussian filler needs std >= 0 (got {f.Std})");
                Device.FillGaussian(top.Data, f.Mean, f.Std, Context.Rng.NextSeed());
                break;
            default:
                Filler.Fill(top, f, Context.Rng, Name);
                break;
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (!_refill) return;
        for (int i = 0; i < top.Count; i++)
            if (_fillers[i].Type != "constant") Fill(top[i], _fillers[i]);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
