// HingeLossLayer: one-versus-all hinge loss for N examples of D scores (bottom[0]) and
// integer labels (bottom[1], one per example). As in Caffe, for each score
//   d_ij = max(0, 1 - t_ij * x_ij),  t_ij = +1 for the labelled class j == l_i, else -1,
// and the loss is sum d_ij / N (hinge_loss_param.norm L1, the default) or
// sum d_ij^2 / N (L2). Gradient: -t_ij * w / N where d_ij > 0 (L1), -2 t_ij d_ij * w / N
// (L2); none to the labels. Reduced on the host: the data are N*D scores.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class HingeLossLayer : Layer
{
    private bool _l2;
    private float[] _signedDist = [];  // d_ij, negated where j is the label (Caffe's layout)
    private int _num, _dim;

    public HingeLossLayer(LayerContext c) : base(c) { }

    public override string Type => "HingeLoss";
    public override bool IsLoss => true;
    protected override int ExactBottoms => 2;
    protected override int ExactTops => 1;
    public override bool AllowBackwardTo(int bottomIndex) => bottomIndex == 0;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        _l2 = (Param.HingeLossParam?.Norm ?? HingeLossParameter.Types.Norm.L1) == HingeLossParameter.Types.Norm.L2;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (x, l) = (bottom[0], bottom[1]);
        if (x.NumAxes < 1 || l.NumAxes < 1 || x[0] != l[0])
            throw Error($"scores and labels must have the same first dimension: '{x.Name}' {x.ShapeString} vs '{l.Name}' {l.ShapeString}");
        _num = x.Num;
        _dim = _num == 0 ? 0 : (int)(x.Count / _num);
        top[0].Reshape();
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var x = bottom[0].DownloadData();
        var labels = bottom[1].DownloadData();
        _signedDist = new float[x.Length];
        double loss = 0;
        for (int i = 0; i < _num; i++)
        {
            int label = (int)labels[i];
            if (label < 0 || label >= _dim)
                throw Error($"label {label} of example {i} is outside [0, {_dim}) (blob '{bottom[1].Name}')");
            for (int j = 0; j < _dim; j++)
            {
                int k = i * _dim + j;
                float sign = j == label ? -1f : 1f;
                float d = Math.Max(0f, 1f + sign * x[k]);
                loss += _l2 ? (double)d * d : d;
                _signedDist[k] = sign * d;
            }
        }
        top[0].UploadData([(float)(loss / Math.Max(_num, 1))]);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown[1]) throw Error("cannot backpropagate to the label input");
        if (!propagateDown[0]) return;
        float lossWeight = top[0].DownloadDiff()[0];
        var grad = new float[_signedDist.Length];
        if (_l2)
        {
            float scale = lossWeight * 2 / _num;
            for (int k = 0; k < grad.Length; k++) grad[k] = _signedDist[k] * scale;
        }
        else
        {
            float scale = lossWeight / _num;
            for (int k = 0; k < grad.Length; k++) grad[k] = _signedDist[k] > 0 ? scale : _signedDist[k] < 0 ? -scale : 0f;
        }
        bottom[0].UploadDiff(grad);
    }
}
