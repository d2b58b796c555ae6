// SplitLayer: copies one blob to several tops so that several layers can read it; in
// backward the tops' gradients are summed. The net inserts these automatically, as
// Caffe does, wherever a blob has more than one reader.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class SplitLayer : Layer
{
    public SplitLayer(LayerContext c) : base(c) { }

    public override string Type => "Split";
    protected override int ExactBottoms => 1;
    protected override int MinTops => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        foreach (var t in top)
            if (t != bottom[0]) t.ReshapeLike(bottom[0]);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        foreach (var t in top)
            if (t != bottom[0]) Device.Copy(t.Data, bottom[0].Data);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        Device.Copy(bottom[0].Diff, top[0].Diff);
        for (int i = 1; i < top.Count; i++) Device.Axpby(bottom[0].Diff, 1f, top[i].Diff, 1f);
    }
}
