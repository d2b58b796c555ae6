// SoftmaxWithLossLayer: softmax followed by the multinomial logistic loss, in one layer
// for a numerically stable gradient. bottom[0] scores (N, C, ...), bottom[1] labels
// (N, ...); top[0] the loss, optional top[1] the probabilities. Honours ignore_label and
// Caffe's normalization modes (VALID by default). Loss and gradient are computed by device
// kernels from the probabilities; only the scalar loss comes to the host.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Norm = Omnivore.Model.Caffe.LossParameter.Types.NormalizationMode;

namespace Omnivore.Layers;

public sealed class SoftmaxWithLossLayer : Layer
{
    private Blob? _prob;
    private int _outer, _channels, _inner;
    private int? _ignoreLabel;
    private Norm _norm;
    private double _normalizer;
    private const float FloatMin = 1.17549435e-38f; // FLT_MIN, Caffe's floor on log's argument

    public SoftmaxWithLossLayer(LayerContext c) : base(c) { }

    public override string Type => "SoftmaxWithLoss";
    public override bool IsLoss => true;
    protected override int ExactBottoms => 2;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;
    public override bool AllowBackwardTo(int bottomIndex) => bottomIndex == 0;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var lp = Param.LossParam ?? new LossParameter();
        _ignoreLabel = lp.HasIgnoreLabel ? lp.IgnoreLabel : null;
        _norm = lp.HasNormalization ? lp.Normalization
              : lp.HasNormalize ? (lp.Normalize ? Norm.Valid : Norm.BatchSize)
              : Norm.Valid;
        _prob = new Blob(Device, $"{Name}.prob");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var s = bottom[0];
        int axis = s.CanonicalAxis(Param.SoftmaxParam?.Axis ?? 1);
        (_outer, _channels, _inner) = ((int)s.CountRange(0, axis), s[axis], (int)s.CountFrom(axis + 1));
        if (bottom[1].Count != (long)_outer * _inner)
            throw Error($"label count {bottom[1].Count} (blob '{bottom[1].Name}' {bottom[1].ShapeString}) must equal " +
                        $"prediction count {_outer * _inner} (outer {_outer} x inner {_inner} of '{s.Name}' {s.ShapeString})");
        _prob!.ReshapeLike(s);
        top[0].Reshape();
        if (top.Count > 1) top[1].ReshapeLike(s);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Device.SoftmaxForward(_prob!.Data, bottom[0].Data, _outer, _channels, _inner);
        double loss = Device.SoftmaxLossForward(_prob.Data, bottom[1].Data, _outer, _channels, _inner, _ignoreLabel,
                                                out long valid, out long badAt);
        if (badAt >= 0)
        {
            Span<float> label = stackalloc float[1];
            Device.Download(label, bottom[1].Data.Slice(badAt, 1));
            throw Error($"label {label[0]} is outside [0, {_channels}) (blob '{bottom[1].Name}')");
        }
        _normalizer = Normalizer(valid);
        Span<float> value = stackalloc float[1];
        value[0] = (float)(loss / _normalizer);
        top[0].UploadData(value);
        if (top.Count > 1) Device.Copy(top[1].Data, _prob.Data);
    }

    private double Normalizer(long valid)
    {
        double n = _norm switch
        {
            Norm.Full => (double)_outer * _inner,
            Norm.Valid => _ignoreLabel.HasValue ? valid : (double)_outer * _inner,
            Norm.BatchSize => _outer,
            _ => 1,
        };
        return Math.Max(1.0, n);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown.Count > 1 && propagateDown[1])
            throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        Span<float> lossWeight = stackalloc float[1];
        Device.Download(lossWeight, top[0].Diff);
        float scale = (float)(lossWeight[0] / _normalizer);
        Device.SoftmaxLossBackward(bottom[0].Diff, _prob!.Data, bottom[1].Data, _outer, _channels, _inner, _ignoreLabel, scale);
    }

    public override void Dispose()
    {
        base.Dispose();
        _prob?.Dispose();
    }
}
