// SoftmaxLayer: softmax over one axis (default 1, the channels) of any blob, seen as
// (outer, channels, inner).
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class SoftmaxLayer : Layer
{
    private int _outer, _channels, _inner;

    public SoftmaxLayer(LayerContext c) : base(c) { }

    public override string Type => "Softmax";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        int axis = b.CanonicalAxis(Param.SoftmaxParam?.Axis ?? 1);
        (_outer, _channels, _inner) = ((int)b.CountRange(0, axis), b[axis], (int)b.CountFrom(axis + 1));
        if (top[0] != b) top[0].ReshapeLike(b);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        Device.SoftmaxForward(top[0].Data, bottom[0].Data, _outer, _channels, _inner);

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[0])
            Device.SoftmaxBackward(bottom[0].Diff, top[0].Diff, top[0].Data, _outer, _channels, _inner);
    }
}
