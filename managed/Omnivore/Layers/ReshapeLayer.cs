// ReshapeLayer: gives its bottom a new shape without moving data (the top shares the
// bottom's data and diff, Blob.ShareFrom). reshape_param { shape } replaces the axes
// [axis, axis + num_axes) of the bottom (default: all of them); in the new dims 0 copies
// the bottom's dim at that position and one -1 is inferred from the count, as in Caffe.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ReshapeLayer : Layer
{
    private readonly List<int> _copyAxes = [];
    private int _inferredAxis = -1;
    private long _constantCount = 1;
    private long[] _dims = [];

    public ReshapeLayer(LayerContext c) : base(c) { }

    public override string Type => "Reshape";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top[0] == bottom[0]) throw Error("does not allow in-place computation");
        var p = Param.ReshapeParam ?? new ReshapeParameter();
        _dims = p.Shape?.Dim.ToArray() ?? [];
        for (int i = 0; i < _dims.Length; i++)
        {
            long d = _dims[i];
            if (d == 0) _copyAxes.Add(i);
            else if (d == -1)
            {
                if (_inferredAxis != -1)
                    throw Error("new shape contains multiple -1 dims; at most a single (1) value of -1 may be specified");
                _inferredAxis = i;
            }
            else if (d < -1 || d > int.MaxValue) throw Error($"shape dim {i} is {d}; dims must be positive, 0 (copy) or -1 (infer)");
            else _constantCount *= d;
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        var p = Param.ReshapeParam ?? new ReshapeParameter();
        int inputStart = p.Axis;
        int start = inputStart >= 0 ? inputStart : b.NumAxes + inputStart + 1;
        if (start < 0) throw Error($"axis {inputStart} out of range");
        if (start > b.NumAxes) throw Error($"axis {inputStart} out of range for {b.NumAxes}-D input blob");
        if (p.NumAxes < -1) throw Error("num_axes must be >= 0, or -1 for all");
        int end = p.NumAxes == -1 ? b.NumAxes : start + p.NumAxes;
        if (end > b.NumAxes) throw Error($"end_axis = axis + num_axes = {end} is out of range for {b.NumAxes}-D input blob");

        var shape = new List<long>();
        for (int i = 0; i < start; i++) shape.Add(b[i]);
        shape.AddRange(_dims);
        for (int i = end; i < b.NumAxes; i++) shape.Add(b[i]);
        foreach (int a in _copyAxes)
        {
            if (start + a >= b.NumAxes)
                throw Error("new shape contains a 0, but there was no corresponding bottom axis to copy");
            shape[start + a] = b[start + a];
        }
        if (_inferredAxis >= 0)
        {
            long explicitCount = _constantCount * b.CountRange(0, start) * b.CountFrom(end);
            foreach (int a in _copyAxes) explicitCount *= shape[start + a];
            if (explicitCount == 0 || b.Count % explicitCount != 0)
                throw Error($"bottom count ({b.Count}) must be divisible by the product of the specified dimensions ({explicitCount})");
            shape[start + _inferredAxis] = b.Count / explicitCount;
        }
        long count = 1;
        foreach (var d in shape) count *= d;
        if (count != b.Count)
            throw Error($"output count must match input count: top shape {string.Join(" ", shape)} ({count}) vs bottom {b.ShapeString}");
        top[0].ShareFrom(b, shape.Select(d => (int)d).ToArray());
    }

    // The top is a view of the bottom: nothing to compute in either direction.
    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
