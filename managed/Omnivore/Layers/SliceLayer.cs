// SliceLayer: cuts its bottom along one axis (slice_param axis, default 1, or the legacy
// slice_dim) into its tops, at the given slice_points or, without them, into equal
// parts. Each top is copied out of its band of the bottom as strided blocks; backward
// copies the tops' diffs back. With a single top the top shares the bottom's memory.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class SliceLayer : Layer
{
    private int _axis;
    private long _outer, _inner;

    public SliceLayer(LayerContext c) : base(c) { }

    public override string Type => "Slice";
    protected override int ExactBottoms => 1;
    protected override int MinTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.SliceParam;
        if (p is not null && p.HasAxis && p.HasSliceDim) throw Error("Either axis or slice_dim should be specified; not both.");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.SliceParam ?? new SliceParameter();
        var b = bottom[0];
        _axis = p.HasSliceDim ? Axes.Legacy(this, b, p.SliceDim, "slice_dim") : Axes.Canonical(this, b, p.Axis);
        int axisDim = b[_axis];
        _outer = b.CountRange(0, _axis);
        _inner = b.CountFrom(_axis + 1);
        var sizes = new int[top.Count];
        if (p.SlicePoint.Count != 0)
        {
            if (p.SlicePoint.Count != top.Count - 1)
                throw Error($"has {p.SlicePoint.Count} slice_point value(s) for {top.Count} tops; it needs one fewer than the tops");
            if (top.Count > axisDim)
                throw Error($"cannot cut axis {_axis} of size {axisDim} into {top.Count} tops");
            long prev = 0;
            for (int i = 0; i < p.SlicePoint.Count; i++)
            {
                long point = p.SlicePoint[i];
                if (point <= prev)
                    throw Error($"slice_point values must increase and be positive: slice_point[{i}] = {point} after {prev}");
                sizes[i] = (int)Math.Min(point - prev, int.MaxValue);
                prev = point;
            }
            if (prev > axisDim)
                throw Error($"slice_point {prev} lies beyond axis {_axis} of size {axisDim} in bottom {b.ShapeString}");
            sizes[^1] = (int)(axisDim - prev);
        }
        else
        {
            if (axisDim % top.Count != 0)
                throw Error($"Number of top blobs ({top.Count}) should evenly divide input slice axis ({axisDim})");
            Array.Fill(sizes, axisDim / top.Count);
        }
        var shape = b.Shape.ToArray();
        if (top.Count == 1)
        {
            if (top[0] != b) top[0].ShareFrom(b, shape);
            return;
        }
        if (top.Contains(b)) throw Error("does not allow in-place computation");
        for (int i = 0; i < top.Count; i++)
        {
            shape[_axis] = sizes[i];
            top[i].Reshape(shape);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top.Count == 1) return;
        long bottomAxis = bottom[0][_axis], offset = 0;
        foreach (var t in top)
        {
            long band = t[_axis] * _inner;
            Device.CopyBlocks(t.Data, band, bottom[0].Data.Slice(offset * _inner), bottomAxis * _inner, _outer, band);
            offset += t[_axis];
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0] || top.Count == 1) return;
        long bottomAxis = bottom[0][_axis], offset = 0;
        foreach (var t in top)
        {
            long band = t[_axis] * _inner;
            Device.CopyBlocks(bottom[0].Diff.Slice(offset * _inner), bottomAxis * _inner, t.Diff, band, _outer, band);
            offset += t[_axis];
        }
    }
}
