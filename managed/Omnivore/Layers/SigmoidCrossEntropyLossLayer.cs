// SigmoidCrossEntropyLossLayer: cross-entropy of sigmoid(x) against targets t in [0, 1],
// bottom[0] scores and bottom[1] targets of the same count. The loss uses Caffe's stable
// form  -sum [x (t - (x >= 0)) - log(1 + exp(x - 2 x (x >= 0)))]  over the targets not
// equal to loss_param.ignore_label, divided by the normalizer (BATCH_SIZE by default for
// this layer, as in Caffe). Gradient (sigmoid(x) - t) * w / normalizer, 0 where ignored;
// none to the targets. The sigmoid and the gradient run on the device; the loss sum is
// reduced on the host.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Norm = Omnivore.Model.Caffe.LossParameter.Types.NormalizationMode;

namespace Omnivore.Layers;

public sealed class SigmoidCrossEntropyLossLayer : Layer
{
    private Blob? _sigmoid, _mask;
    private int? _ignoreLabel;
    private Norm _norm;
    private double _normalizer = 1;

    public SigmoidCrossEntropyLossLayer(LayerContext c) : base(c) { }

    public override string Type => "SigmoidCrossEntropyLoss";
    public override bool IsLoss => true;
    protected override int ExactBottoms => 2;
    protected override int ExactTops => 1;
    public override bool AllowBackwardTo(int bottomIndex) => bottomIndex == 0;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var lp = Param.LossParam;
        _ignoreLabel = lp is not null && lp.HasIgnoreLabel ? lp.IgnoreLabel : null;
        _norm = LossNormalization.Resolve(lp, Norm.BatchSize);
        _sigmoid = new Blob(Device, $"{Name}.sigmoid");
        if (_ignoreLabel.HasValue) _mask = new Blob(Device, $"{Name}.mask");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (x, t) = (bottom[0], bottom[1]);
        if (x.NumAxes < 1 || t.NumAxes < 1 || x[0] != t[0])
            throw Error($"scores and targets must have the same first dimension: '{x.Name}' {x.ShapeString} vs '{t.Name}' {t.ShapeString}");
        if (x.Count != t.Count)
            throw Error($"scores and targets must have the same count: '{x.Name}' {x.ShapeString} vs '{t.Name}' {t.ShapeString}");
        _sigmoid!.ReshapeLike(x);
        _mask?.ReshapeLike(x);
        top[0].Reshape();
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0];
        Device.UnaryForward(UnaryOp.Sigmoid, _sigmoid!.Data, x.Data);
        var input = x.DownloadData();
        var target = bottom[1].DownloadData();
        var mask = _mask is null ? null : new float[input.Length];
        double loss = 0;
        long valid = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (_ignoreLabel == (int)target[i]) continue;
            double v = input[i], pos = v >= 0 ? 1 : 0;
            loss -= v * (target[i] - pos) - Math.Log(1 + Math.Exp(v - 2 * v * pos));
            valid++;
            if (mask is not null) mask[i] = 1;
        }
        if (mask is not null) _mask!.UploadData(mask);
        long outer = x[0];
        _normalizer = LossNormalization.Normalizer(_norm, outer, x.Count / Math.Max(outer, 1), valid);
        top[0].UploadData([(float)(loss / _normalizer)]);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the target input");
        if (!propagateDown[0]) return;
        var diff = bottom[0].Diff;
        Device.Copy(diff, _sigmoid!.Data);
        Device.Axpby(diff, -1f, bottom[1].Data, 1f);
        if (_mask is not null) Device.Mul(diff, diff, _mask.Data);
        float lossWeight = top[0].DownloadDiff()[0];
        Device.Scale(diff, (float)(lossWeight / _normalizer));
    }

    public override void Dispose()
    {
        base.Dispose();
        _sigmoid?.Dispose();
        _mask?.Dispose();
    }
}
