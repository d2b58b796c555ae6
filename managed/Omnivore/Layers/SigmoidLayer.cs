// SigmoidLayer: y = 1 / (1 + e^-x), computed as Caffe does as 0.5 * tanh(0.5 x) + 0.5
// (no overflow for large |x|); backward dy * y * (1 - y) from the output, so it works
// in place.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class SigmoidLayer : UnaryNeuronLayer
{
    public SigmoidLayer(LayerContext c) : base(c) { }

    public override string Type => "Sigmoid";
    protected override UnaryOp Op => UnaryOp.Sigmoid;
}
