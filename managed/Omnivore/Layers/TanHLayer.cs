// TanHLayer: y = tanh(x); backward dy * (1 - y^2) from the output, so it works in place.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class TanHLayer : UnaryNeuronLayer
{
    public TanHLayer(LayerContext c) : base(c) { }

    public override string Type => "TanH";
    protected override UnaryOp Op => UnaryOp.TanH;
}
