// LrnLayer: local response normalisation, Caffe's LRN layer.
// ACROSS_CHANNELS (AlexNet/CaffeNet): y = x / (k + alpha/size * sum of x^2 over `size`
// neighbouring channels)^beta.
// WITHIN_CHANNEL: y = x / (1 + alpha * average of x^2 over a size x size spatial window)^beta,
// the average taken as Caffe's AVE pooling with zero padding (size-1)/2 (divisor always
// size*size); k is not used, exactly as in Caffe's composition of this mode.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using NormRegion = Omnivore.Model.Caffe.LRNParameter.Types.NormRegion;

namespace Omnivore.Layers;

public sealed class LrnLayer : Layer
{
    private LRNParameter _p = new();
    private Blob? _scale;

    public LrnLayer(LayerContext c) : base(c) { }

    public override string Type => "LRN";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _p = Param.LrnParam ?? new LRNParameter();
        if (_p.LocalSize % 2 == 0) throw Error($"local_size {_p.LocalSize} must be odd");
        _scale = new Blob(Device, $"{Name}.scale");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (bottom[0].NumAxes != 4) throw Error($"expects a 4-axis bottom, got {bottom[0].ShapeString}");
        if (top[0] == bottom[0]) throw Error("cannot run in place");
        top[0].ReshapeLike(bottom[0]);
        _scale!.ReshapeLike(bottom[0]);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (_p.NormRegion == NormRegion.WithinChannel)
            Device.LrnWithinForward(top[0].Data, _scale!.Data, b.Data, b[0], b[1], b[2], b[3],
                (int)_p.LocalSize, _p.Alpha, _p.Beta);
        else
            Device.LrnAcrossForward(top[0].Data, _scale!.Data, b.Data, b[0], b[1], b[2], b[3],
                (int)_p.LocalSize, _p.Alpha, _p.Beta, _p.K);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var b = bottom[0];
        if (_p.NormRegion == NormRegion.WithinChannel)
            Device.LrnWithinBackward(b.Diff, top[0].Diff, top[0].Data, _scale!.Data, b.Data, b[0], b[1], b[2], b[3],
                (int)_p.LocalSize, _p.Alpha, _p.Beta);
        else
            Device.LrnAcrossBackward(b.Diff, top[0].Diff, top[0].Data, _scale!.Data, b.Data, b[0], b[1], b[2], b[3],
                (int)_p.LocalSize, _p.Alpha, _p.Beta);
    }

    public override void Dispose()
    {
        base.Dispose();
        _scale?.Dispose();
    }
}
