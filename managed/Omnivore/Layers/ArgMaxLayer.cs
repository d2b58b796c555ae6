// ArgMaxLayer: the indices (or values) of the top_k largest entries, as Caffe. Without
// argmax_param axis it ranks all of each example's values: top (N, 1, top_k), or
// (N, 2, top_k) with out_max_val (indices, then values), padded with 1s to the bottom's
// number of axes (at least 3). With axis it ranks along that axis, which becomes top_k
// long in the top (values instead of indices with out_max_val). Ties go to the larger
// index. It has no backward pass.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ArgMaxLayer : Layer
{
    private bool _outMaxVal, _hasAxis;
    private int _topK, _axis;

    public ArgMaxLayer(LayerContext c) : base(c) { }

    public override string Type => "ArgMax";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    public override bool AllowBackwardTo(int bottomIndex) => false;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.ArgmaxParam ?? new ArgMaxParameter();
        _outMaxVal = p.OutMaxVal;
        if (p.TopK < 1 || p.TopK > int.MaxValue) throw Error($"top k must not be less than 1 (got {p.TopK}).");
        _topK = (int)p.TopK;
        _hasAxis = p.HasAxis;
        var b = bottom[0];
        if (_hasAxis)
        {
            _axis = Axes.Canonical(this, b, p.Axis);
            if (_topK > b[_axis])
                throw Error($"top_k ({_topK}) must be less than or equal to the dimension of the axis ({b[_axis]}).");
        }
        else if (_topK > b.CountFrom(1))
        {
            throw Error($"top_k ({_topK}) must be less than or equal to the dimension of the flattened bottom blob per instance ({b.CountFrom(1)}).");
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (top[0] == b) throw Error("does not allow in-place computation");
        int[] shape;
        if (_hasAxis)
        {
            if (_topK > b[_axis]) throw Error($"top_k ({_topK}) exceeds axis {_axis} of bottom {b.ShapeString}");
            shape = b.Shape.ToArray();
            shape[_axis] = _topK;
        }
        else
        {
            if (_topK > b.CountFrom(1)) throw Error($"top_k ({_topK}) exceeds the values per instance of bottom {b.ShapeString}");
            shape = Enumerable.Repeat(1, Math.Max(b.NumAxes, 3)).ToArray();
            shape[0] = b[0];
            shape[1] = _outMaxVal ? 2 : 1;
            shape[2] = _topK;
        }
        top[0].Reshape(shape);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (_hasAxis)
        {
            int dim = b[_axis];
            Device.ArgMaxForward(top[0].Data, b.Data, (int)b.CountRange(0, _axis), dim, (int)b.CountFrom(_axis + 1), _topK,
                _outMaxVal ? ArgMaxOutput.Values : ArgMaxOutput.Indices);
        }
        else
        {
            Device.ArgMaxForward(top[0].Data, b.Data, b[0], (int)b.CountFrom(1), 1, _topK,
                _outMaxVal ? ArgMaxOutput.IndicesThenValues : ArgMaxOutput.Indices);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown.Any(p => p)) throw Error("has no backward pass (Caffe: not implemented)");
    }
}
