// FlattenLayer: merges the axes [axis, end_axis] of its bottom into one (defaults: every
// axis from 1 on, giving (N, C*H*W)). As in Caffe the top shares the bottom's data and
// diff (Blob.ShareFrom): forward and backward move no memory.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class FlattenLayer : Layer
{
    public FlattenLayer(LayerContext c) : base(c) { }

    public override string Type => "Flatten";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (top[0] == b) throw Error("does not allow in-place computation");
        var p = Param.FlattenParam ?? new FlattenParameter();
        int start = Axes.Canonical(this, b, p.Axis), end = Axes.Canonical(this, b, p.EndAxis, "end_axis");
        if (end < start) throw Error($"end_axis {p.EndAxis} precedes axis {p.Axis} for bottom {b.ShapeString}");
        var shape = new List<int>();
        for (int i = 0; i < start; i++) shape.Add(b[i]);
        shape.Add((int)b.CountRange(start, end + 1));
        for (int i = end + 1; i < b.NumAxes; i++) shape.Add(b[i]);
        top[0].ShareFrom(b, shape);
    }

    // The top is a view of the bottom: nothing to compute in either direction.
    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
