// ThresholdLayer: y = x > threshold ? 1 : 0 (threshold_param.threshold, default 0).
// Like Caffe's, it has no backward pass: asking it to propagate a gradient is an error.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class ThresholdLayer : UnaryNeuronLayer
{
    public ThresholdLayer(LayerContext c) : base(c) { }

    public override string Type => "Threshold";
    protected override UnaryOp Op => UnaryOp.Threshold;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        A = Param.ThresholdParam?.Threshold ?? 0f;

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0])
            throw Error("has no backward pass (as in Caffe, Threshold is not differentiable); " +
                        "no layer below it may need a gradient, e.g. set propagate_down: false or lr_mult: 0 below it");
    }
}
