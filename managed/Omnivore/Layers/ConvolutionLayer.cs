// ConvolutionLayer: 2-D convolution by Omnivore's batched lowering. A chunk of b images
// is lowered into one matrix (C*KH*KW, b*OH*OW) and convolved with one sgemm per group,
// instead of one small sgemm per image; b is the whole batch unless the lowered matrix
// would exceed the lowering budget. Weights (Cout, Cin/group, KH, KW), bias (Cout).
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class ConvolutionLayer : Layer
{
    /// <summary>Largest lowered matrix, in floats, one layer may use (64 Mi floats = 256 MiB).</summary>
    public static long LoweringBudget { get; set; } = 64L << 20;

    private WindowGeometry _g;
    private int _numOutput, _group, _outH, _outW, _chunk;
    private bool _biasTerm;
    private Blob? _col, _gemmOut;
    private bool _colHoldsWholeBatch;

    public ConvolutionLayer(LayerContext c) : base(c) { }

    public override string Type => "Convolution";
    protected override int MinBottoms => 1;
    protected override int ExactTops => -1;

    /// <summary>Images lowered per sgemm, as last sized by Reshape.</summary>
    public int ImagesPerLowering => _chunk;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var spec = ConvolutionSpec.Parse(Param, Error);
        if (bottom.Count != top.Count) throw Error($"needs as many tops as bottoms ({bottom.Count} vs {top.Count})");
        _numOutput = spec.NumOutput;
        _group = spec.Group;
        _biasTerm = spec.BiasTerm;
        var b = bottom[0];
        if (b.NumAxes != 4) throw Error($"only 2-D convolution of 4-axis blobs is supported; bottom '{b.Name}' has shape {b.ShapeString}");
        int channels = b[1];
        spec.CheckGroups(channels, Error);
        _g = spec.Window(channels, b[2], b[3]);
        if (Params.Count == 0)
        {
            var p = Param.ConvolutionParam;
            var w = AddParam("weights", _numOutput, channels / _group, spec.KernelH, spec.KernelW);
            Filler.Fill(w, p.WeightFiller, Context.Rng, Name);
            if (_biasTerm)
            {
                var bias = AddParam("bias", _numOutput);
                Filler.Fill(bias, p.BiasFiller, Context.Rng, Name);
            }
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (b.NumAxes != 4 || b[1] != _g.Channels)
            throw Error($"bottom '{b.Name}' has shape {b.ShapeString}; expected (N, {_g.Channels}, H, W)");
        _g = _g with { Height = b[2], Width = b[3] };
        _outH = _g.ConvOutH;
        _outW = _g.ConvOutW;
        if (_outH <= 0 || _outW <= 0)
            throw Error($"kernel {_g.KernelH}x{_g.KernelW} does not fit input {b[2]}x{b[3]} with pad {_g.PadH}x{_g.PadW}");
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!bottom[i].SameShape(b)) throw Error($"all bottoms must have the same shape; '{bottom[i].Name}' is {bottom[i].ShapeString}");
            top[i].Reshape(b[0], _numOutput, _outH, _outW);
        }
        long perImage = (long)_g.LoweredRows * _outH * _outW;
        _chunk = (int)Math.Clamp(LoweringBudget / Math.Max(perImage, 1), 1, Math.Max(b[0], 1));
        _col ??= new Blob(Device, $"{Name}.col");
        _col.Reshape((int)(perImage * _chunk));
        _gemmOut ??= new Blob(Device, $"{Name}.out");
        _gemmOut.Reshape((int)((long)_numOutput * _outH * _outW * _chunk));
        _colHoldsWholeBatch = false;
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < bottom.Count; i++)
        {
            int n = bottom[i][0];
            for (int start = 0; start < n; start += _chunk)
            {
                int b = Math.Min(_chunk, n - start);
                ForwardChunk(bottom[i], top[i], start, b);
            }
            _colHoldsWholeBatch = bottom.Count == 1 && n <= _chunk;
        }
    }

    private void ForwardChunk(Blob bottom, Blob top, int start, int b)
    {
        long inPer = (long)_g.Channels * _g.Height * _g.Width, outHw = (long)_outH * _outW;
        var data = bottom.Data.Slice(start * inPer, b * inPer);
        var col = _col!.Data.Slice(0, (long)_g.LoweredRows * b * outHw);
        Device.Im2ColBatch(col, data, b, _g);
        var outT = _gemmOut!.Data.Slice(0, _numOutput * b * outHw);
        int m = _numOutput / _group, k = _g.LoweredRows / _group, cols = (int)(b * outHw);
        var w = Params[0].Data;
        for (int g = 0; g < _group; g++)
            Device.Gemm(false, false, m, cols, k, 1f,
                w.Slice((long)g * m * k, (long)m * k), col.Slice((long)g * k * cols, (long)k * cols),
                0f, outT.Slice((long)g * m * cols, (long)m * cols));
        var bias = _biasTerm ? Params[1].Data : default;
        Device.CnhwToNchw(top.Data.Slice(start * _numOutput * outHw, b * _numOutput * outHw), outT, bias, b, _numOutput, outHw);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < top.Count; i++)
        {
            int n = top[i][0];
            for (int start = 0; start < n; start += _chunk)
            {
                int b = Math.Min(_chunk, n - start);
                BackwardChunk(top[i], bottom[i], propagateDown[i], start, b, reuseCol: _colHoldsWholeBatch);
            }
        }
        _colHoldsWholeBatch = false;
    }

    private void BackwardChunk(Blob top, Blob bottom, bool propagate, int start, int b, bool reuseCol)
    {
        long inPer = (long)_g.Channels * _g.Height * _g.Width, outHw = (long)_outH * _outW;
        int m = _numOutput / _group, k = _g.LoweredRows / _group, cols = (int)(b * outHw);
        var topT = _gemmOut!.Data.Slice(0, _numOutput * b * outHw);
        Device.NchwToCnhw(topT, top.Diff.Slice(start * _numOutput * outHw, b * _numOutput * outHw), b, _numOutput, outHw);
        if (_biasTerm) Device.RowSumsAccumulate(Params[1].Diff, topT, _numOutput, cols);
        var col = _col!.Data.Slice(0, (long)_g.LoweredRows * cols);
        if (!reuseCol) Device.Im2ColBatch(col, bottom.Data.Slice(start * inPer, b * inPer), b, _g);
        var w = Params[0];
        for (int g = 0; g < _group; g++)
            Device.Gemm(false, true, m, k, cols, 1f,
                topT.Slice((long)g * m * cols, (long)m * cols), col.Slice((long)g * k * cols, (long)k * cols),
                1f, w.Diff.Slice((long)g * m * k, (long)m * k));
        if (!propagate) return;
        var colDiff = _col.Diff.Slice(0, (long)_g.LoweredRows * cols);
        for (int g = 0; g < _group; g++)
            Device.Gemm(true, false, k, cols, m, 1f,
                w.Data.Slice((long)g * m * k, (long)m * k), topT.Slice((long)g * m * cols, (long)m * cols),
                0f, colDiff.Slice((long)g * k * cols, (long)k * cols));
        Device.Col2ImBatch(bottom.Diff.Slice(start * inPer, b * inPer), colDiff, b, _g);
    }

    public override void Dispose()
    {
        base.Dispose();
        _col?.Dispose();
        _gemmOut?.Dispose();
    }

    // FLOP accounting (omnivore time, bench): 2 * top count * Cin/group*KH*KW per product;
    // backward is the weight gradient plus, where propagated, the data gradient. Bias adds not counted.
    public override double ForwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        top.Sum(t => 2.0 * t.Count * (Params[0].Count / _numOutput));

    public override double BackwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown) =>
        Enumerable.Range(0, top.Count).Sum(i => 2.0 * top[i].Count * (Params[0].Count / _numOutput) * (propagateDown[i] ? 2 : 1));
}
