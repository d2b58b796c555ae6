// AccuracyLayer: fraction of examples whose true label is among the top_k scores, as
// Caffe counts it (a tie with the true class counts against it); honours ignore_label.
// Optional top[1]: accuracy per class. Computed on the host (test phase only) in buffers
// kept across forwards; no backward.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class AccuracyLayer : Layer
{
    private int _outer, _channels, _inner, _topK;
    private int? _ignoreLabel;
    private float[] _scores = [], _labels = [], _perClassAccuracy = [];
    private int[] _perClass = [], _perClassCorrect = [];

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
        if (_scores.Length != bottom[0].Count) _scores = new float[bottom[0].Count];
        if (_labels.Length != bottom[1].Count) _labels = new float[bottom[1].Count];
        if (_perClass.Length != _channels)
        {
            _perClass = new int[_channels];
            _perClassCorrect = new int[_channels];
            _perClassAccuracy = new float[_channels];
        }
        Device.Download(_scores, bottom[0].Data);
        Device.Download(_labels, bottom[1].Data);
        var scores = _scores;
        var labels = _labels;
        var perClass = _perClass;
        var perClassCorrect = _perClassCorrect;
        Array.Clear(perClass);
        Array.Clear(perClassCorrect);
        int correct = 0, count = 0;
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
        Span<float> accuracy = stackalloc float[1];
        accuracy[0] = count == 0 ? 0f : (float)correct / count;
        top[0].UploadData(accuracy);
        if (top.Count > 1)
        {
            var v = _perClassAccuracy;
            for (int c = 0; c < _channels; c++) v[c] = perClass[c] == 0 ? 0f : (float)perClassCorrect[c] / perClass[c];
            top[1].UploadData(v);
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (propagateDown.Any(p => p)) throw Error("Accuracy has no backward pass");
    }
}
