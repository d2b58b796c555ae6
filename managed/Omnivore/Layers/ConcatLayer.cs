// ConcatLayer: joins its bottoms along one axis (concat_param axis, default 1, or the
// legacy concat_dim); every other dim must agree. Each bottom is copied into its band
// of the top as `outer` strided blocks, and backward copies the bands back. With a
// single bottom the top shares the bottom's memory, as in Caffe.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ConcatLayer : Layer
{
    private int _axis;
    private long _outer, _inner;

    public ConcatLayer(LayerContext c) : base(c) { }

    public override string Type => "Concat";
    protected override int MinBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConcatParam;
        if (p is not null && p.HasAxis && p.HasConcatDim) throw Error("Either axis or concat_dim should be specified; not both.");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ConcatParam ?? new ConcatParameter();
        var b0 = bottom[0];
        _axis = p.HasConcatDim ? Axes.Legacy(this, b0, p.ConcatDim, "concat_dim") : Axes.Canonical(this, b0, p.Axis);
        var shape = b0.Shape.ToArray();
        for (int i = 1; i < bottom.Count; i++)
        {
            var b = bottom[i];
            if (b.NumAxes != b0.NumAxes)
                throw Error($"All inputs must have the same #axes: bottom '{b0.Name}' {b0.ShapeString} vs '{b.Name}' {b.ShapeString}");
            for (int j = 0; j < shape.Length; j++)
                if (j != _axis && b[j] != b0[j])
                    throw Error($"All inputs must have the same shape, except at concat_axis {_axis}: " +
                                $"bottom '{b0.Name}' {b0.ShapeString} vs '{b.Name}' {b.ShapeString}");
            shape[_axis] += b[_axis];
        }
        _outer = b0.CountRange(0, _axis);
        _inner = b0.CountFrom(_axis + 1);
        if (bottom.Count == 1)
        {
            if (top[0] != b0) top[0].ShareFrom(b0, shape);
            return;
        }
        if (bottom.Contains(top[0])) throw Error("does not allow in-place computation");
        top[0].Reshape(shape);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom.Count == 1) return;
        long topAxis = top[0][_axis], offset = 0;
        foreach (var b in bottom)
        {
            long band = b[_axis] * _inner;
            Device.CopyBlocks(top[0].Data.Slice(offset * _inner), topAxis * _inner, b.Data, band, _outer, band);
            offset += b[_axis];
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (bottom.Count == 1) return;
        long topAxis = top[0][_axis], offset = 0;
        for (int i = 0; i < bottom.Count; i++)
        {
            var b = bottom[i];
            long band = b[_axis] * _inner;
            if (propagateDown[i])
                Device.CopyBlocks(b.Diff, band, top[0].Diff.Slice(offset * _inner), topAxis * _inner, _outer, band);
            offset += b[_axis];
        }
    }
}
