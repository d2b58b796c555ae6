// ExpLayer: y = base^(shift + scale * x) (exp_param; base -1, the default, means e).
// As in Caffe it is computed as outer_scale * e^(inner_scale * x) with
// inner_scale = ln(base) * scale and outer_scale = base^shift; backward
// dy * y * inner_scale from the output, so it works in place.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ExpLayer : UnaryNeuronLayer
{
    public ExpLayer(LayerContext c) : base(c) { }

    public override string Type => "Exp";
    protected override UnaryOp Op => UnaryOp.Exp;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ExpParam ?? new ExpParameter();
        float b = p.Base, scale = p.Scale, shift = p.Shift;
        if (b != -1f && !(b > 0f)) throw Error($"exp_param.base must be strictly positive or -1 (for e), got {b}");
        float logBase = b == -1f ? 1f : MathF.Log(b);
        if (float.IsNaN(logBase) || float.IsInfinity(logBase))
            throw Error($"log(base) = log({b}) = {logBase} is not finite");
        A = logBase * scale;
        B = shift == 0f ? 1f : b != -1f ? MathF.Pow(b, shift) : MathF.Exp(shift);
    }
}
