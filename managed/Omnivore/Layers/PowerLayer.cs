// PowerLayer: y = (shift + scale * x)^power (power_param; defaults power 1, scale 1,
// shift 0), with Caffe's cases: power * scale == 0 gives the constant 1 (power 0) or
// shift^power, and a zero gradient; the backward pass uses Caffe's formulas for power 1,
// power 2, shift 0 and the general case. In place keeps a copy of the input.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class PowerLayer : UnaryNeuronLayer
{
    public PowerLayer(LayerContext c) : base(c) { }

    public override string Type => "Power";
    protected override UnaryOp Op => UnaryOp.Power;
    protected override bool KeepInputInPlace => true;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.PowerParam;
        A = p?.Power ?? 1f;
        B = p?.Scale ?? 1f;
        C = p?.Shift ?? 0f;
    }
}
