// PReluLayer: parametric ReLU, y = max(x, 0) + a_c * min(x, 0) with one learnable slope
// a_c per channel (axis 1), or one slope for all channels when prelu_param.channel_shared.
// The slope blob has Caffe's layout, so .caffemodel files load: shape (C), or no axes
// (a scalar) when shared; filled by prelu_param.filler, by default the constant 0.25.
// Backward accumulates the slope gradient and overwrites the bottom diff. In place, the
// input is kept in a private blob for the backward pass, as Caffe does.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class PReluLayer : Layer
{
    private bool _shared;
    private int _channels;
    private Blob? _savedInput;

    public PReluLayer(LayerContext c) : base(c) { }

    public override string Type => "PReLU";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    private static bool InPlace(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => ReferenceEquals(top[0], bottom[0]);

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.PreluParam ?? new PReLUParameter();
        var b = bottom[0];
        if (b.NumAxes < 2)
            throw Error($"bottom '{b.Name}' {b.ShapeString} needs at least 2 axes (N, C, ...)");
        _shared = p.ChannelShared;
        _channels = b[1];
        if (Params.Count == 0)
        {
            var slope = _shared ? AddParam("slope") : AddParam("slope", _channels);
            var filler = p.Filler ?? new FillerParameter { Type = "constant", Value = 0.25f };
            Filler.Fill(slope, filler, Context.Rng, Name);
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (b.NumAxes < 2)
            throw Error($"bottom '{b.Name}' {b.ShapeString} needs at least 2 axes (N, C, ...)");
        if (!_shared && b[1] != Params[0].Count)
            throw Error($"bottom '{b.Name}' {b.ShapeString} has {b[1]} channels but the layer has {Params[0].Count} slopes");
        _channels = b[1];
        if (!InPlace(bottom, top)) top[0].ReshapeLike(b);
        else
        {
            _savedInput ??= new Blob(Device, $"{Name}.input");
            _savedInput.ReshapeLike(b);
        }
    }

    private (int N, long Inner) Dims(Blob b) => (b[0], b.CountFrom(2));

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (n, inner) = Dims(bottom[0]);
        if (InPlace(bottom, top)) Device.Copy(_savedInput!.Data, bottom[0].Data);
        Device.PReluForward(top[0].Data, bottom[0].Data, Params[0].Data, n, _channels, inner, _shared);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var (n, inner) = Dims(bottom[0]);
        var x = InPlace(bottom, top) ? _savedInput!.Data : bottom[0].Data;
        var bottomDiff = propagateDown[0] ? bottom[0].Diff : default;
        Device.PReluBackward(bottomDiff, Params[0].Diff, top[0].Diff, x, Params[0].Data, n, _channels, inner, _shared);
    }

    public override void Dispose()
    {
        base.Dispose();
        _savedInput?.Dispose();
    }
}
