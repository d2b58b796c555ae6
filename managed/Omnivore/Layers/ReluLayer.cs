// ReluLayer: rectified linear unit, with Caffe's optional negative_slope (leaky ReLU).
// Works in place (top == bottom): backward then reads the output, whose sign equals the
// input's for any non-negative slope.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class ReluLayer : Layer
{
    public ReluLayer(LayerContext c) : base(c) { }

    public override string Type => "ReLU";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;
    private float Slope => Param.ReluParam?.NegativeSlope ?? 0f;

    /// <summary>Caffe's negative_slope (0: plain ReLU).</summary>
    public float NegativeSlope => Slope;

    /// <summary>Set by the net when the Convolution just before writes its output already
    /// rectified (see Net.FuseConvolutionRelu): forward then has nothing to do.</summary>
    public bool FusedIntoConvolution { get; set; }

    /// <summary>Set by the net when the MAX pooling just after applies this layer's backward as it writes the
    /// gradient (see Net.FusePoolingReluBackward): backward then has nothing to do.</summary>
    public bool BackwardFusedIntoPooling { get; set; }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top[0] != bottom[0]) top[0].ReshapeLike(bottom[0]);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (!FusedIntoConvolution) Device.ReluForward(top[0].Data, bottom[0].Data, Slope);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0] && !BackwardFusedIntoPooling) Device.ReluBackward(bottom[0].Diff, top[0].Diff, bottom[0].Data, Slope);
    }
}
