// DropoutLayer: in TRAIN, zeroes each input with probability dropout_ratio and scales
// the kept ones by 1/(1-ratio) (inverted dropout, as Caffe); in TEST it is the identity.
// The mask (1/(1-ratio) or 0 per element) is drawn on the device by a counter-based
// Bernoulli fill seeded from the run's Rng, so it is repeatable for a seed.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class DropoutLayer : Layer
{
    private float _ratio, _scale;
    private Blob? _mask;

    public DropoutLayer(LayerContext c) : base(c) { }

    public override string Type => "Dropout";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _ratio = (Param.DropoutParam ?? new DropoutParameter()).DropoutRatio;
        if (_ratio < 0 || _ratio >= 1) throw Error($"dropout_ratio {_ratio} must be in [0, 1)");
        _scale = 1f / (1f - _ratio);
        _mask = new Blob(Device, $"{Name}.mask");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top[0] != bottom[0]) top[0].ReshapeLike(bottom[0]);
        _mask!.ReshapeLike(bottom[0]);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (Phase != Phase.Train)
        {
            if (top[0] != bottom[0]) Device.Copy(top[0].Data, bottom[0].Data);
            return;
        }
        Device.FillBernoulli(_mask!.Data, 1f - _ratio, _scale, Context.Rng.NextSeed());
        Device.Mul(top[0].Data, bottom[0].Data, _mask.Data);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        if (Phase == Phase.Train) Device.Mul(bottom[0].Diff, top[0].Diff, _mask!.Data);
        else if (top[0] != bottom[0]) Device.Copy(bottom[0].Diff, top[0].Diff);
    }

    public override void Dispose()
    {
        base.Dispose();
        _mask?.Dispose();
    }
}
