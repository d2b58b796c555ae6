// BiasLayer: top = bottom[0] + bias, the bias broadcast over the axes outside
// [axis, axis + bias.NumAxes): bottom[0] is viewed as (outer, bias_dim, inner). The bias
// is bottom[1] or, with one bottom, a learnable blob of bottom[0]'s dims
// [axis, axis + num_axes) (num_axes -1: to the end) filled by bias_param filler
// (default constant 0). In-place use is supported. Backward: bottom diff = top diff,
// bias gradient = top diff summed over outer and inner.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class BiasLayer : Layer
{
    private int _outer, _biasDim, _inner;

    public BiasLayer(LayerContext c) : base(c) { }

    public override string Type => "Bias";
    protected override int MinBottoms => 1;
    protected override int MaxBottoms => 2;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom.Count != 1 || Params.Count > 0) return;
        var p = Param.BiasParam ?? new BiasParameter();
        var shape = ParamShape(this, bottom[0], p.Axis, p.NumAxes, "bias");
        Filler.Fill(AddParam("bias", shape), p.Filler, Context.Rng, Name);
    }

    /// <summary>The dims [axis, axis + numAxes) of bottom (numAxes -1: to the end), with Caffe's checks.</summary>
    internal static int[] ParamShape(Layer layer, Blob bottom, int axisParam, int numAxes, string what)
    {
        int axis = Axes.Canonical(layer, bottom, axisParam);
        if (numAxes < -1)
            throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): num_axes must be non-negative, or -1 to extend to the end of bottom[0]");
        if (numAxes >= 0 && bottom.NumAxes < axis + numAxes)
            throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): {what} blob's shape extends past bottom[0]'s shape " +
                                        $"{bottom.ShapeString} when applied starting with bottom[0] axis = {axis}");
        int end = numAxes == -1 ? bottom.NumAxes : axis + numAxes;
        return bottom.Shape.Skip(axis).Take(end - axis).ToArray();
    }

    /// <summary>(outer, dim, inner) of bottom around the operand blob, with Caffe's checks;
    /// a scalar operand (no axes) always uses axis 0.</summary>
    internal static (int Outer, int Dim, int Inner) Broadcast(Layer layer, Blob bottom, Blob operand, int axisParam, string what)
    {
        int axis = operand.NumAxes == 0 ? 0 : Axes.Canonical(layer, bottom, axisParam);
        if (bottom.NumAxes < axis + operand.NumAxes)
            throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): {what} blob's shape {operand.ShapeString} extends past " +
                                        $"bottom[0]'s shape {bottom.ShapeString} when applied starting with bottom[0] axis = {axis}");
        for (int i = 0; i < operand.NumAxes; i++)
            if (bottom[axis + i] != operand[i])
                throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): dimension mismatch between bottom[0]->shape({axis + i}) = " +
                                            $"{bottom[axis + i]} and {what}->shape({i}) = {operand[i]} (bottom[0] {bottom.ShapeString}, {what} {operand.ShapeString})");
        return ((int)bottom.CountRange(0, axis), (int)operand.Count, (int)bottom.CountFrom(axis + operand.NumAxes));
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var bias = bottom.Count > 1 ? bottom[1] : Params[0];
        (_outer, _biasDim, _inner) = Broadcast(this, bottom[0], bias, (Param.BiasParam ?? new BiasParameter()).Axis, "bias");
        if (top[0] != bottom[0]) top[0].ReshapeLike(bottom[0]);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var bias = bottom.Count > 1 ? bottom[1] : Params[0];
        Device.ChannelAffine(top[0].Data, bottom[0].Data, default, bias.Data, _outer, _biasDim, _inner);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        // Bias gradient first: in place, top diff and bottom diff are one buffer (unchanged here).
        bool biasIsParam = bottom.Count == 1;
        if (biasIsParam || propagateDown[1])
        {
            var bias = biasIsParam ? Params[0] : bottom[1];
            Device.ChannelSums(bias.Diff, top[0].Diff, default, _outer, _biasDim, _inner, 1f, biasIsParam ? 1f : 0f);
        }
        if (propagateDown[0] && top[0] != bottom[0]) Device.Copy(bottom[0].Diff, top[0].Diff);
    }
}
