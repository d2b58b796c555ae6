// InfogainLossLayer: BVLC Caffe's (2017+) infogain loss, a SoftmaxWithLoss weighted by
// an information-gain matrix H (K x K): with p = softmax of bottom[0] over
// infogain_loss_param.axis (K classes) and labels l (bottom[1], one per prediction),
//   loss = -1/normalizer * sum over predictions, k of H[l, k] * log(max(p_k, 1e-20)),
// skipping predictions labelled loss_param.ignore_label. H comes from bottom[2] when
// given, else from the BlobProto file infogain_loss_param.source. Normalization as
// SoftmaxWithLoss (VALID by default); as in Caffe the deprecated `normalize` flag is
// refused. Gradient: (p_k * sum_j H[l, j] - H[l, k]) * w / normalizer, none to the
// labels or H. Optional top[1] holds the probabilities. The loss and gradient are
// reduced on the host (they read N*K probabilities), the softmax runs on the device.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Norm = Omnivore.Model.Caffe.LossParameter.Types.NormalizationMode;

namespace Omnivore.Layers;

public sealed class InfogainLossLayer : Layer
{
    private const float LogThreshold = 1e-20f;  // Caffe's kLOG_THRESHOLD
    private Blob? _prob;
    private float[]? _fileH;
    private float[] _h = [], _probHost = [], _labelHost = [];
    private int _axis, _outer, _classes, _inner;
    private int? _ignoreLabel;
    private Norm _norm;
    private double _normalizer = 1;

    public InfogainLossLayer(LayerContext c) : base(c) { }

    public override string Type => "InfogainLoss";
    public override bool IsLoss => true;
    protected override int MinBottoms => 2;
    protected override int MaxBottoms => 3;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;
    public override bool AllowBackwardTo(int bottomIndex) => bottomIndex == 0;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var lp = Param.LossParam ?? new LossParameter();
        if (lp.HasNormalize)
            throw Error("loss_param.normalize is deprecated for InfogainLoss (as in Caffe); use normalization: VALID, FULL, BATCH_SIZE or NONE");
        _ignoreLabel = lp.HasIgnoreLabel ? lp.IgnoreLabel : null;
        _norm = lp.Normalization;
        var ip = Param.InfogainLossParam ?? new InfogainLossParameter();
        _axis = ip.Axis;
        if (bottom.Count < 3) _fileH = LoadMatrix(ip);
        _prob = new Blob(Device, $"{Name}.prob");
    }

    private float[] LoadMatrix(InfogainLossParameter ip)
    {
        if (!ip.HasSource || ip.Source.Length == 0)
            throw Error("needs the infogain matrix: give infogain_loss_param.source or a third bottom");
        if (!File.Exists(ip.Source))
            throw Error($"infogain_loss_param.source '{ip.Source}' does not exist");
        try
        {
            return BlobShapes.ValuesOf(BlobProto.Parser.ParseFrom(File.ReadAllBytes(ip.Source)));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Error($"infogain_loss_param.source '{ip.Source}' is not a binary BlobProto ({e.Message})");
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (s, l) = (bottom[0], bottom[1]);
        if (s.NumAxes < 1 || l.NumAxes < 1 || s[0] != l[0])
            throw Error($"scores and labels must have the same first dimension: '{s.Name}' {s.ShapeString} vs '{l.Name}' {l.ShapeString}");
        int axis = s.CanonicalAxis(_axis);
        (_outer, _classes, _inner) = ((int)s.CountRange(0, axis), s[axis], (int)s.CountFrom(axis + 1));
        if (l.Count != (long)_outer * _inner)
            throw Error($"label count {l.Count} (blob '{l.Name}' {l.ShapeString}) must equal the number of predictions " +
                        $"{(long)_outer * _inner} (outer {_outer} x inner {_inner} of '{s.Name}' {s.ShapeString}, axis {axis})");
        long hCount = bottom.Count > 2 ? bottom[2].Count : _fileH!.Length;
        if (hCount != (long)_classes * _classes)
            throw Error($"the infogain matrix has {hCount} values; it must be {_classes} x {_classes} for {_classes} classes");
        _prob!.ReshapeLike(s);
        top[0].Reshape();
        if (top.Count > 1) top[1].ReshapeLike(s);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Device.SoftmaxForward(_prob!.Data, bottom[0].Data, _outer, _classes, _inner);
        _probHost = _prob.DownloadData();
        _labelHost = bottom[1].DownloadData();
        _h = bottom.Count > 2 ? bottom[2].DownloadData() : _fileH!;
        double loss = 0;
        int valid = 0;
        for (int i = 0; i < _outer; i++)
        for (int j = 0; j < _inner; j++)
        {
            int label = (int)_labelHost[i * _inner + j];
            if (_ignoreLabel == label) continue;
            if (label < 0 || label >= _classes)
                throw Error($"label {label} is outside [0, {_classes}) (blob '{bottom[1].Name}')");
            for (int k = 0; k < _classes; k++)
            {
                float p = _probHost[(i * _classes + k) * _inner + j];
                loss -= _h[label * _classes + k] * Math.Log(Math.Max(p, LogThreshold));
            }
            valid++;
        }
        _normalizer = LossNormalization.Normalizer(_norm, _outer, _inner, valid);
        top[0].UploadData([(float)(loss / _normalizer)]);
        if (top.Count > 1) Device.Copy(top[1].Data, _prob.Data);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (propagateDown.Count > 2 && propagateDown[2]) throw Error("cannot backpropagate to the infogain matrix input");
        if (!propagateDown[0]) return;
        var rowSums = new double[_classes];
        for (int r = 0; r < _classes; r++)
            for (int k = 0; k < _classes; k++) rowSums[r] += _h[r * _classes + k];
        float scale = (float)(top[0].DownloadDiff()[0] / _normalizer);
        var grad = new float[_probHost.Length];
        for (int i = 0; i < _outer; i++)
        for (int j = 0; j < _inner; j++)
        {
            int label = (int)_labelHost[i * _inner + j];
            if (_ignoreLabel == label) continue;  // stays 0
            for (int k = 0; k < _classes; k++)
            {
                int idx = (i * _classes + k) * _inner + j;
                grad[idx] = (float)(_probHost[idx] * rowSums[label] - _h[label * _classes + k]) * scale;
            }
        }
        bottom[0].UploadDiff(grad);
    }

    public override void Dispose()
    {
        base.Dispose();
        _prob?.Dispose();
    }
}
