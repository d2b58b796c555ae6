// Net: a directed graph of layers built from a NetParameter for one NetState. Builds
// the layers in order (with Caffe's include/exclude filtering, automatic splits,
// in-place layers and loss weights), decides which layers need backward, fuses each
// Convolution with an in-place ReLU right after it, and keeps all learnable parameters
// and their gradients in one contiguous arena.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public sealed partial class Net : IDisposable
{
    private readonly List<Layer> _layers = [];
    private readonly List<List<Blob>> _bottoms = [], _tops = [];
    private readonly List<bool> _layerNeedBackward = [];
    private readonly List<bool[]> _bottomNeedBackward = [];
    private readonly Dictionary<string, Blob> _blobs = [];
    private readonly List<Blob> _allBlobs = [];
    private readonly List<(Blob Blob, float Weight)> _lossTops = [];

    private readonly Engine.ConvEngine? _ownConv;

    /// <param name="conv">the run's convolution engine, shared by nets of one run; null: the net
    /// makes its own with default options (no probe) and disposes it.</param>
    public Net(NetParameter param, IDevice device, Rng rng, NetState? state = null, string? source = null,
               Engine.ConvEngine? conv = null)
    {
        Device = device;
        Conv = conv ?? (_ownConv = new Engine.ConvEngine(device));
        Source = source ?? param.Name;
        var effective = param.State?.Clone() ?? new NetState();
        if (state is not null) effective.MergeFrom(state);
        State = effective;
        Name = param.Name;
        var filtered = NetFilter.Filter(Legacy.InputsToLayer(NetUpgrade.UpgradeAsNeeded(param, Source)), effective);
        Param = SplitInsertion.Insert(filtered);
        Phase = effective.Phase;
        try
        {
            Build(rng);
            Arena = new ParameterArena(device, _layers);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Name { get; }
    public string Source { get; }
    public IDevice Device { get; }
    /// <summary>The convolution engine the net's conv layers use (plans, shared workspace).</summary>
    public Engine.ConvEngine Conv { get; }
    public NetState State { get; }
    public Phase Phase { get; }
    /// <summary>The net as built: filtered, with split layers inserted.</summary>
    public NetParameter Param { get; }
    public IReadOnlyList<Layer> Layers => _layers;
    public IReadOnlyList<IReadOnlyList<Blob>> Bottoms => _bottoms;
    public IReadOnlyList<IReadOnlyList<Blob>> Tops => _tops;
    public IReadOnlyList<Blob> AllBlobs => _allBlobs;
    public List<Blob> OutputBlobs { get; } = [];
    public ParameterArena Arena { get; }
    public bool LayerNeedsBackward(int i) => _layerNeedBackward[i];

    public Blob Blob(string name) =>
        _blobs.TryGetValue(name, out var b) ? b : throw new OmnivoreException($"net '{Name}' has no blob '{name}'");

    public bool HasBlob(string name) => _blobs.ContainsKey(name);

    public Layer Layer(string name) =>
        _layers.FirstOrDefault(l => l.Name == name) ?? throw new OmnivoreException($"net '{Name}' has no layer '{name}'");

    /// <summary>Loss weight applied to an output blob (0 when it is not a loss).</summary>
    public float LossWeightOf(Blob b) => _lossTops.FirstOrDefault(t => t.Blob == b).Weight;

    private void Build(Rng rng)
    {
        Log.Info($"Initializing net from parameters: {Name} ({Phase})");
        var consumed = new HashSet<Blob>();
        var available = new List<Blob>();
        var blobUnderLoss = new HashSet<Blob>();
        var blobNeedBackward = new HashSet<Blob>();
        var names = new HashSet<string>();
        foreach (var lp in Param.Layer)
        {
            if (string.IsNullOrEmpty(lp.Type)) throw new OmnivoreException($"layer '{lp.Name}' has no type");
            if (!names.Add(lp.Name)) throw new OmnivoreException($"two layers are named '{lp.Name}'; layer names must be unique");
            Log.Info($"Creating Layer {lp.Name}");
            var layer = LayerRegistry.Create(new LayerContext(lp, Device, Phase, rng, Conv));
            _layers.Add(layer);
            var bottoms = new List<Blob>();
            var needs = new bool[lp.Bottom.Count];
            bool needBackward = false;
            for (int j = 0; j < lp.Bottom.Count; j++)
            {
                if (!_blobs.TryGetValue(lp.Bottom[j], out var b))
                    throw new OmnivoreException(
                        $"layer '{lp.Name}' reads blob '{lp.Bottom[j]}', which no earlier layer produces in phase {Phase}");
                bottoms.Add(b);
                consumed.Add(b);
                available.Remove(b);
                needs[j] = blobNeedBackward.Contains(b) && layer.AllowBackwardTo(j);
                if (j < lp.PropagateDown.Count && !lp.PropagateDown[j]) needs[j] = false;
                needBackward |= needs[j];
                Log.Info($"{lp.Name} <- {b.Name}");
            }
            var tops = new List<Blob>();
            for (int t = 0; t < lp.Top.Count; t++)
            {
                string name = lp.Top[t];
                int inPlace = lp.Bottom.IndexOf(name);
                Blob top;
                if (inPlace >= 0 && inPlace == t)
                {
                    top = bottoms[inPlace];
                    Log.Info($"{lp.Name} -> {name} (in-place)");
                }
                else
                {
                    if (_blobs.TryGetValue(name, out var old) && !consumed.Contains(old))
                        Log.Warning($"layer '{lp.Name}' replaces blob '{name}', which nothing read");
                    top = new Blob(Device, name);
                    _allBlobs.Add(top);
                    Log.Info($"{lp.Name} -> {name}");
                }
                _blobs[name] = top;
                tops.Add(top);
                available.Add(top);
            }
            Log.Info($"Setting up {lp.Name}");
            if (layer is ConvolutionLayer conv) conv.SetDataGradient(needs.Any(n => n));
            layer.SetUp(bottoms, tops);
            for (int t = 0; t < tops.Count; t++)
            {
                Log.Info($"Top shape: {tops[t].ShapeString}");
                if (layer.LossWeights[t] != 0)
                {
                    Log.Info($"    with loss weight {layer.LossWeights[t]}");
                    _lossTops.Add((tops[t], layer.LossWeights[t]));
                }
            }
            for (int pi = 0; pi < layer.Params.Count; pi++)
                needBackward |= ParameterArena.LrMult(layer, pi) != 0;
            foreach (var t in tops)
                if (needBackward) blobNeedBackward.Add(t); else blobNeedBackward.Remove(t);
            _bottoms.Add(bottoms);
            _tops.Add(tops);
            _layerNeedBackward.Add(needBackward);
            _bottomNeedBackward.Add(needs);
        }
        PruneLayersNotUnderLoss();
        if (Param.ForceBackward) ForceBackward();
        for (int i = 0; i < _layers.Count; i++)  // pruning and force_backward may have changed it
            if (_layers[i] is ConvolutionLayer conv) conv.SetDataGradient(_layerNeedBackward[i] && _bottomNeedBackward[i].Any(n => n));
        FuseConvolutionRelu();
        FusePoolingReluBackward();
        OutputBlobs.AddRange(available.Distinct());
        foreach (var b in OutputBlobs) Log.Info($"This network produces output {b.Name}");
        Log.Info("Network initialization done.");
    }

    /// <summary>Layers whose outputs never reach a loss skip backward (e.g. Accuracy).</summary>
    private void PruneLayersNotUnderLoss()
    {
        var underLoss = new HashSet<Blob>();
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            bool contributes = false;
            for (int t = 0; t < _tops[i].Count; t++)
                contributes |= _layers[i].LossWeights[t] != 0 || underLoss.Contains(_tops[i][t]);
            if (!contributes)
            {
                _layerNeedBackward[i] = false;
                Array.Fill(_bottomNeedBackward[i], false);
                continue;
            }
            foreach (var b in _bottoms[i]) underLoss.Add(b);
        }
    }

    /// <summary>force_backward: every layer runs backward to every bottom that allows it, as Caffe.</summary>
    private void ForceBackward()
    {
        for (int i = 0; i < _layers.Count; i++)
        {
            _layerNeedBackward[i] = true;
            for (int j = 0; j < _bottomNeedBackward[i].Length; j++)
                _bottomNeedBackward[i][j] |= _layers[i].AllowBackwardTo(j);
        }
    }

    /// <summary>
    /// A Convolution followed at once by an in-place ReLU (negative_slope 0) on its only top
    /// (CaffeNet's conv1-conv5): the convolution rectifies its output as it writes it (the
    /// packed engine in its kernel, other plans and GPUs with a ReLU pass right after) and
    /// the ReLU's forward does nothing; its backward is unchanged (it reads the rectified
    /// output, as in place it always did). No layer can read the unrectified values: none
    /// runs between the two, and in place the blob holds the rectified ones afterwards.
    /// </summary>
    private void FuseConvolutionRelu()
    {
        for (int i = 0; i + 1 < _layers.Count; i++)
        {
            if (_layers[i] is not ConvolutionLayer conv || _layers[i + 1] is not ReluLayer relu) continue;
            if (_tops[i].Count != 1 || relu.NegativeSlope != 0) continue;
            var blob = _tops[i][0];
            if (_bottoms[i + 1][0] != blob || _tops[i + 1][0] != blob) continue;
            conv.FusedRelu = true;
            relu.FusedIntoConvolution = true;
            Log.Info($"{relu.Name}: fused into {conv.Name} (the convolution writes its output rectified)");
        }
    }

    /// <summary>
    /// An in-place ReLU (negative_slope 0) followed at once by a MAX pooling that reads its blob
    /// (CaffeNet's relu1/pool1, relu2/pool2, relu5/pool5; a blob with another reader goes through
    /// an inserted Split layer instead, so the pooling is its last layer): the pooling's backward
    /// masks the gradient it writes by blob > 0 while each plane is in cache, and the ReLU's backward
    /// does nothing. Bit for bit the two passes: the pooling overwrites the blob's diff, and the ReLU
    /// would then rewrite it in place from the same values. Only when both run backward, and when no
    /// later layer writes the pooling's top in place: the CPU takes the blob's values at the
    /// windows' maxima from that top.
    /// </summary>
    private void FusePoolingReluBackward()
    {
        for (int i = 0; i + 1 < _layers.Count; i++)
        {
            if (_layers[i] is not ReluLayer relu || _layers[i + 1] is not PoolingLayer pool || !pool.IsMax) continue;
            var blob = _tops[i][0];
            if (relu.NegativeSlope != 0 || _bottoms[i][0] != blob || _bottoms[i + 1][0] != blob) continue;
            if (!_layerNeedBackward[i] || !_bottomNeedBackward[i][0] || !_layerNeedBackward[i + 1] || !_bottomNeedBackward[i + 1][0]) continue;
            var pooled = _tops[i + 1][0];
            if (_tops.Skip(i + 2).Any(t => t.Contains(pooled))) continue;
            relu.BackwardFusedIntoPooling = true;
            pool.FusedReluBackward = true;
            Log.Info($"{relu.Name}: backward fused into {pool.Name} (the pooling writes its bottom's gradient masked)");
        }
    }

    /// <summary>Runs every layer forward; returns the weighted sum of the loss outputs.</summary>
    public float Forward()
    {
        double loss = 0;
        for (int i = 0; i < _layers.Count; i++) ForwardLayer(i);
        // A loss top's diff holds its loss weight, so data . diff is the weighted loss.
        foreach (var (blob, _) in _lossTops)
            loss += Device.Dot(blob.Data, blob.Diff);
        return (float)loss;
    }

    /// <summary>Runs one layer forward (for per-layer timing).</summary>
    public void ForwardLayer(int i)
    {
        _layers[i].Reshape(_bottoms[i], _tops[i]);
        _layers[i].Forward(_bottoms[i], _tops[i]);
    }

    /// <summary>Runs one layer backward when it needs it (for per-layer timing).</summary>
    public void BackwardLayer(int i)
    {
        if (_layerNeedBackward[i]) _layers[i].Backward(_tops[i], _bottomNeedBackward[i], _bottoms[i]);
    }

    public void Backward()
    {
        for (int i = _layers.Count - 1; i >= 0; i--) BackwardLayer(i);
    }

    /// <summary>Layers [start, end) forward; the weighted loss of the loss tops those layers produce (0 if none).</summary>
    public float ForwardRange(int start, int end)
    {
        CheckRange(start, end);
        double loss = 0;
        for (int i = start; i < end; i++) ForwardLayer(i);
        foreach (var (blob, _) in _lossTops)
            if (Enumerable.Range(start, end - start).Any(i => _tops[i].Contains(blob)))
                loss += Device.Dot(blob.Data, blob.Diff);
        return (float)loss;
    }

    /// <summary>Layers [start, end) backward, last first; the tops of layer end-1 must hold their diffs.</summary>
    public void BackwardRange(int start, int end)
    {
        CheckRange(start, end);
        for (int i = end - 1; i >= start; i--) BackwardLayer(i);
    }

    private void CheckRange(int start, int end)
    {
        if (start < 0 || end > _layers.Count || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"layer range [{start}, {end}) of a net of {_layers.Count} layers");
    }

    public float ForwardBackward()
    {
        float loss = Forward();
        Backward();
        return loss;
    }

    public void ClearParamDiffs() => Arena.ClearDiffs();

    public void Dispose()
    {
        foreach (var l in _layers) l.Dispose();
        foreach (var b in _allBlobs) b.Dispose();
        Arena?.Dispose();
        _ownConv?.Dispose();
    }
}
