// ScaleLayer: top = bottom[0] * scale (+ bias), the scale broadcast over the axes
// outside [axis, axis + scale.NumAxes) of bottom[0], viewed as (outer, scale_dim, inner).
// The scale is bottom[1] or, with one bottom, a learnable blob of bottom[0]'s dims
// [axis, axis + num_axes) (filler default: constant 1). With bias_term a learnable bias of
// the scale's shape follows the scale among the params (bias_filler, default constant 0),
// as Caffe's internal Bias layer does. In place, a copy of the bottom is kept for the
// scale gradient. Gradients: bottom (top diff * scale), scale (sum of top diff * bottom
// over outer and inner), bias (sum of top diff).
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class ScaleLayer : Layer
{
    private int _outer, _scaleDim, _inner;
    private int _biasIndex = -1;
    private Blob? _bottomCopy;

    public ScaleLayer(LayerContext c) : base(c) { }

    public override string Type => "Scale";
    protected override int MinBottoms => 1;
    protected override int MaxBottoms => 2;
    protected override int ExactTops => 1;

    private ScaleParameter P => Param.ScaleParam ?? new ScaleParameter();

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = P;
        bool created = Params.Count > 0;
        if (bottom.Count == 1 && !created)
        {
            var shape = BiasLayer.ParamShape(this, bottom[0], p.Axis, p.NumAxes, "scale");
            var filler = p.Filler ?? new FillerParameter { Type = "constant", Value = 1f };
            Filler.Fill(AddParam("scale", shape), filler, Context.Rng, Name);
        }
        if (!p.BiasTerm) return;
        // Caffe's internal Bias layer: axis as given, num_axes of bottom[1] or num_axes.
        int biasAxes = bottom.Count > 1 ? bottom[1].NumAxes : p.NumAxes;
        if (Params.Count + bottom.Count < 3)
        {
            var shape = BiasLayer.ParamShape(this, bottom[0], p.Axis, biasAxes, "bias");
            Filler.Fill(AddParam("bias", shape), p.BiasFiller, Context.Rng, Name);
        }
        _biasIndex = Params.Count - 1;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var scale = bottom.Count > 1 ? bottom[1] : Params[0];
        (_outer, _scaleDim, _inner) = BiasLayer.Broadcast(this, bottom[0], scale, P.Axis, "scale");
        if (top[0] == bottom[0])
        {
            _bottomCopy ??= new Blob(Device, $"{Name}.bottom_copy");
            _bottomCopy.ReshapeLike(bottom[0]);
        }
        else
        {
            top[0].ReshapeLike(bottom[0]);
        }
        if (_biasIndex >= 0)
        {
            var bias = Params[_biasIndex];
            var (o, d, i) = BiasLayer.Broadcast(this, bottom[0], bias, P.Axis, "bias");
            if ((o, d, i) != (_outer, _scaleDim, _inner))
                throw Error($"bias {bias.ShapeString} and scale {scale.ShapeString} must cover the same axes of bottom {bottom[0].ShapeString}");
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (top[0] == bottom[0]) Device.Copy(_bottomCopy!.Data, bottom[0].Data);
        var scale = bottom.Count > 1 ? bottom[1] : Params[0];
        var bias = _biasIndex >= 0 ? Params[_biasIndex].Data : default;
        Device.ChannelAffine(top[0].Data, bottom[0].Data, scale.Data, bias, _outer, _scaleDim, _inner);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = top[0].Diff;
        // Parameter and scale gradients first: in place, dy is also bottom[0]'s diff.
        if (_biasIndex >= 0)
            Device.ChannelSums(Params[_biasIndex].Diff, dy, default, _outer, _scaleDim, _inner, 1f, 1f);
        bool scaleIsParam = bottom.Count == 1;
        var scale = scaleIsParam ? Params[0] : bottom[1];
        if (scaleIsParam || propagateDown[1])
        {
            var x = top[0] == bottom[0] ? _bottomCopy!.Data : bottom[0].Data;
            Device.ChannelSums(scale.Diff, dy, x, _outer, _scaleDim, _inner, 1f, scaleIsParam ? 1f : 0f);
        }
        if (propagateDown[0])
            Device.ChannelAffine(bottom[0].Diff, dy, scale.Data, default, _outer, _scaleDim, _inner);
    }

    public override void Dispose()
    {
        base.Dispose();
        _bottomCopy?.Dispose();
    }
}
