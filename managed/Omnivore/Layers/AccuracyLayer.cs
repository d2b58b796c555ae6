// AccuracyLayer: fraction of examples whose true label is among the top_k scores, as
// Caffe counts it (a tie with the true class counts against it); honours ignore_label.
// Optional top[1]: accuracy per class. Computed on the host; no backward.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class AccuracyLayer : Layer
{
    private int _outer, _channels, _inner, _topK;
    private int? _ignoreLabel;

    public AccuracyLayer(LayerContext c) : base(c) { }

    public override string Type => "Accuracy";
    protected override int ExactBottoms => 2;
    protected override int MinTops => 1;
    protected override int MaxTops => 2;
    public override bool AllowBackwardTo(int bottomIndex) => false;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.AccuracyParam ?? new AccuracyParameter();
        _topK = (int)p.TopK;
        _ignoreLabel = p.HasIgnoreLabel ? p.IgnoreLabel : null;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var s = bottom[0];
        int axis = s.CanonicalAxis(Param.AccuracyParam?.Axis ?? 1);
        (_outer, _channels, _inner) = ((int)s.CountRange(0, axis), s[axis], (int)s.CountFrom(axis + 1));
        if (_topK > _channels) throw Error($"top_k {_topK} exceeds the {_channels} classes");
        if (bottom[1].Count != (long)_outer * _inner)
            throw Error($"label count {bottom[1].Count} must equal prediction count {_outer * _inner} ('{s.Name}' {s.ShapeString})");
        top[0].Reshape();
        if (top.Count > 1) top[1].Reshape(_channels);
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var scores = bottom[0].DownloadData();
        var labels = bottom[1].DownloadData();
        int correct = 0, count = 0;
        var perClass = new int[_channels];
        var perClassCorrect = new int[_channels];
        for (int i = 0; i < _outer; i++)
        for (int j = 0; j < _inner; j++)
        {
            int label = (int)labels[i * _inner + j];
            if (_ignoreLabel == label) continue;
            if (label < 0 || label >= _channels) throw Error($"label {label} is outside [0, {_channels})");
            perClass[label]++;
            float truth = scores[(i * _channels + label) * _inner + j];
            int better = -1; // the true class itself is counted once below
            for (int c = 0; c < _channels; c++)
                if (scores[(i * _channels + c) * _inner + j] >= truth) better++;
            if (better < _topK)
            {
                correct++;
                perClassCorrect[label]++;
            }
            count++;
        }
        top[0].UploadData([count == 0 ? 0f : (float)correct / count]);
        if (top.Count > 1)
        {
            var v = new float[_channels];
            for (int c = 0; c < _channels; c++) v[c] = perClass[c] == 0 ? 0f : (float)perClassCorrect[c] / perClass[c];
            top[1].UploadData(v);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown.Any(p => p)) throw Error("Accuracy has no backward pass");
    }
}
