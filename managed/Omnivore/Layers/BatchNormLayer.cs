// BatchNormLayer: Caffe's batch normalisation, top = (x - mean) / sqrt(var + eps) per
// channel (axis 1; the other axes are averaged over), with no scale or shift (Caffe
// follows it with a Scale layer). Params are Caffe's three blobs: [0] running mean sum
// (C), [1] running variance sum (C), [2] the moving-average factor (1); the statistics
// in use are blob / factor (0 when the factor is 0). They are never learned: the layer
// forces lr_mult and decay_mult 0 on them (ParamMultOverride) and rejects a param spec
// with a non-zero lr_mult, as Caffe does. In TRAIN (unless use_global_stats) it normalises
// with the batch's mean and biased variance and updates the running sums with
// factor = maf*factor + 1 and the unbiased variance m/(m-1)*var; in TEST, or with
// use_global_stats, it uses the running statistics.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class BatchNormLayer : Layer
{
    private bool _useGlobalStats;
    private float _maf, _eps;
    private int _channels, _num, _spatial;
    private Blob? _negMean, _var, _invStd, _xNorm, _topDiffCopy, _sum1, _sum2;

    public BatchNormLayer(LayerContext c) : base(c) { }

    public override string Type => "BatchNorm";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    /// <summary>The statistics blobs are never updated by a solver.</summary>
    public override (float LrMult, float DecayMult)? ParamMultOverride(int index) => (0f, 0f);

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.BatchNormParam ?? new BatchNormParameter();
        _useGlobalStats = p.HasUseGlobalStats ? p.UseGlobalStats : Phase == Phase.Test;
        _maf = p.MovingAverageFraction;
        _eps = p.Eps;
        var b = bottom[0];
        _channels = b.NumAxes == 1 ? 1 : b[1];
        if (Params.Count == 0)
        {
            // Zero-filled on allocation, as Caffe's caffe_set(0).
            AddParam("mean", _channels);
            AddParam("variance", _channels);
            AddParam("scale_factor", 1);
        }
        for (int i = 0; i < Params.Count && i < Param.Param.Count; i++)
            if (Param.Param[i].LrMult != 0f)
                throw Error($"param {i} has lr_mult {Param.Param[i].LrMult}: Cannot configure batch normalization statistics as layer parameters.");
        _negMean = new Blob(Device, $"{Name}.neg_mean", _channels);
        _var = new Blob(Device, $"{Name}.variance", _channels);
        _invStd = new Blob(Device, $"{Name}.inv_std", _channels);
        _sum1 = new Blob(Device, $"{Name}.sum1", _channels);
        _sum2 = new Blob(Device, $"{Name}.sum2", _channels);
        _xNorm = new Blob(Device, $"{Name}.x_norm");
        _topDiffCopy = new Blob(Device, $"{Name}.top_diff");
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (b.NumAxes >= 1 && (b.NumAxes == 1 ? 1 : b[1]) != _channels)
            throw Error($"bottom {b.ShapeString} has {(b.NumAxes == 1 ? 1 : b[1])} channels, the layer was set up for {_channels}");
        _num = b.NumAxes == 0 ? 1 : b[0];
        _spatial = _num * _channels == 0 ? 0 : (int)(b.Count / ((long)_num * _channels));
        if (top[0] != b) top[0].ReshapeLike(b);
        _xNorm!.ReshapeLike(b);
        if (top[0] == b) _topDiffCopy!.ReshapeLike(b);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].Data;
        var y = top[0].Data;
        if (_useGlobalStats)
        {
            Device.BatchNormGlobalStats(_negMean!.Data, _invStd!.Data, Params[0].Data, Params[1].Data, Params[2].Data, _eps);
            Device.ChannelAffine(y, x, default, _negMean.Data, _num, _channels, _spatial);
        }
        else
        {
            long m = bottom[0].Count / _channels;
            float invM = m == 0 ? 0f : 1f / m;
            Device.ChannelSums(_negMean!.Data, x, default, _num, _channels, _spatial, -invM, 0f);
            Device.ChannelAffine(y, x, default, _negMean.Data, _num, _channels, _spatial);   // centred
            Device.ChannelSums(_var!.Data, y, y, _num, _channels, _spatial, invM, 0f);         // biased variance
            float correction = m > 1 ? (float)m / (m - 1) : 1f;
            Device.BatchNormTrainStats(_invStd!.Data, Params[0].Data, Params[1].Data, Params[2].Data,
                _negMean.Data, _var.Data, _maf, correction, _eps);
        }
        Device.ChannelAffine(y, y, _invStd!.Data, default, _num, _channels, _spatial);
        Device.Copy(_xNorm!.Data, y);   // later in-place layers may overwrite the top
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var dy = top[0].Diff;
        var dx = bottom[0].Diff;
        if (_useGlobalStats)
        {
            Device.ChannelAffine(dx, dy, _invStd!.Data, default, _num, _channels, _spatial);
            return;
        }
        if (top[0] == bottom[0])
        {
            Device.Copy(_topDiffCopy!.Data, dy);
            dy = _topDiffCopy.Data;
        }
        // dx = (dy - mean(dy) - mean(dy * y) * y) / sqrt(var + eps), means over all but the channel axis.
        var yNorm = _xNorm!.Data;
        long m = bottom[0].Count / _channels;
        float invM = m == 0 ? 0f : 1f / m;
        Device.ChannelSums(_sum1!.Data, dy, default, _num, _channels, _spatial, -invM, 0f);   // -mean(dy)
        Device.ChannelSums(_sum2!.Data, dy, yNorm, _num, _channels, _spatial, -invM, 0f);     // -mean(dy * y)
        Device.ChannelAffine(dx, yNorm, _sum2.Data, _sum1.Data, _num, _channels, _spatial);
        Device.Axpby(dx, 1f, dy, 1f);
        Device.ChannelAffine(dx, dx, _invStd!.Data, default, _num, _channels, _spatial);
    }

    public override void Dispose()
    {
        base.Dispose();
        foreach (var b in new[] { _negMean, _var, _invStd, _xNorm, _topDiffCopy, _sum1, _sum2 }) b?.Dispose();
    }
}
