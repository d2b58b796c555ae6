// AbsValLayer: y = |x|; backward dy * sign(x), with sign(0) = 0 as in Caffe. Caffe
// refuses to run this layer in place; here in place works, keeping a copy of the input
// for the backward pass.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class AbsValLayer : UnaryNeuronLayer
{
    public AbsValLayer(LayerContext c) : base(c) { }

    public override string Type => "AbsVal";
    protected override UnaryOp Op => UnaryOp.AbsVal;
    protected override bool KeepInputInPlace => true;
}
