// DeconvolutionLayer: Caffe's "Deconvolution", the transposed convolution: forward is the
// convolution's backward-data pass and backward-data is the convolution's forward pass.
// Uses convolution_param; weights (C_in, num_output/group, KH, KW) as in Caffe, bias
// (num_output); output size stride*(in-1) + dilation*(kernel-1)+1 - 2*pad per axis.
// Batched lowering as in ConvolutionLayer: a chunk of b images is one sgemm per group on
// a lowered matrix (num_output*KH*KW, b*H_in*W_in) of the output image geometry:
//   forward:  col = W^T * x (x as (C_in, b*H_in*W_in)), then col2im -> top, + bias;
//   backward: col = im2col(top diff); dW += x * col^T; bottom diff = W * col.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class DeconvolutionLayer : Layer
{
    private ConvolutionSpec _spec = null!;
    private WindowGeometry _g;      // the window over the OUTPUT image (num_output, outH, outW)
    private int _channels, _inH, _inW, _chunk;
    private Blob? _col, _cnhw, _ones;

    public DeconvolutionLayer(LayerContext c) : base(c) { }

    public override string Type => "Deconvolution";
    protected override int MinBottoms => 1;

    /// <summary>Images lowered per sgemm, as last sized by Reshape.</summary>
    public int ImagesPerLowering => _chunk;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        _spec = ConvolutionSpec.Parse(Param, Error);
        if (bottom.Count != top.Count) throw Error($"needs as many tops as bottoms ({bottom.Count} vs {top.Count})");
        var b = bottom[0];
        if (b.NumAxes != 4) throw Error($"only 2-D deconvolution of 4-axis blobs is supported; bottom '{b.Name}' has shape {b.ShapeString}");
        _channels = b[1];
        _spec.CheckGroups(_channels, Error);
        if (Params.Count == 0)
        {
            var p = Param.ConvolutionParam;
            var w = AddParam("weights", _channels, _spec.NumOutput / _spec.Group, _spec.KernelH, _spec.KernelW);
            Filler.Fill(w, p.WeightFiller, Context.Rng, Name);
            if (_spec.BiasTerm)
            {
                var bias = AddParam("bias", _spec.NumOutput);
                Filler.Fill(bias, p.BiasFiller, Context.Rng, Name);
            }
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (b.NumAxes != 4 || b[1] != _channels)
            throw Error($"bottom '{b.Name}' has shape {b.ShapeString}; expected (N, {_channels}, H, W)");
        _inH = b[2];
        _inW = b[3];
        int outH = _spec.StrideH * (_inH - 1) + _spec.DilatedKernelH - 2 * _spec.PadH;
        int outW = _spec.StrideW * (_inW - 1) + _spec.DilatedKernelW - 2 * _spec.PadW;
        if (outH <= 0 || outW <= 0)
            throw Error($"output would be {outH}x{outW} for input {_inH}x{_inW} (kernel {_spec.KernelH}x{_spec.KernelW}, pad {_spec.PadH}x{_spec.PadW})");
        _g = _spec.Window(_spec.NumOutput, outH, outW);
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!bottom[i].SameShape(b)) throw Error($"all bottoms must have the same shape; '{bottom[i].Name}' is {bottom[i].ShapeString}");
            if (top[i] == bottom[i]) throw Error("cannot run in place");
            top[i].Reshape(b[0], _spec.NumOutput, outH, outW);
        }
        long inHw = (long)_inH * _inW;
        long perImage = (long)_g.LoweredRows * inHw;
        _chunk = (int)Math.Clamp(ConvolutionLayer.LoweringBudget / Math.Max(perImage, 1), 1, Math.Max(b[0], 1));
        _col ??= new Blob(Device, $"{Name}.col");
        _col.Reshape((int)(perImage * _chunk));
        _cnhw ??= new Blob(Device, $"{Name}.cnhw");
        _cnhw.Reshape((int)(_channels * inHw * _chunk));
        if (_spec.BiasTerm)
        {
            _ones ??= new Blob(Device, $"{Name}.ones");
            _ones.Reshape(outH * outW);
            Device.Set(_ones.Data, 1f);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 0; i < bottom.Count; i++)
        {
            int n = bottom[i][0];
            for (int start = 0; start < n; start += _chunk)
                ForwardChunk(bottom[i], top[i], start, Math.Min(_chunk, n - start));
        }
    }

    private void ForwardChunk(Blob bottom, Blob top, int start, int b)
    {
        long inHw = (long)_inH * _inW, outHw = (long)_g.Height * _g.Width;
        long inPer = _channels * inHw, outPer = _spec.NumOutput * outHw;
        int group = _spec.Group, cg = _channels / group, kg = _g.LoweredRows / group, cols = (int)(b * inHw);
        var x = _cnhw!.Data.Slice(0, _channels * (long)cols);
        Device.NchwToCnhw(x, bottom.Data.Slice(start * inPer, b * inPer), b, _channels, inHw);
        var col = _col!.Data.Slice(0, (long)_g.LoweredRows * cols);
        var w = Params[0].Data;
        for (int g = 0; g < group; g++)
            Device.Gemm(true, false, kg, cols, cg, 1f,
                w.Slice((long)g * cg * kg, (long)cg * kg), x.Slice((long)g * cg * cols, (long)cg * cols),
                0f, col.Slice((long)g * kg * cols, (long)kg * cols));
        var y = top.Data.Slice(start * outPer, b * outPer);
        Device.Col2ImBatch(y, col, b, _g);
        if (!_spec.BiasTerm) return;
        for (int i = 0; i < b; i++)
            Device.Gemm(false, false, _spec.NumOutput, (int)outHw, 1, 1f,
                Params[1].Data, _ones!.Data, 1f, y.Slice(i * outPer, outPer));
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        for (int i = 0; i < top.Count; i++)
        {
            int n = top[i][0];
            for (int start = 0; start < n; start += _chunk)
                BackwardChunk(top[i], bottom[i], propagateDown[i], start, Math.Min(_chunk, n - start));
        }
    }

    private void BackwardChunk(Blob top, Blob bottom, bool propagate, int start, int b)
    {
        long inHw = (long)_inH * _inW, outHw = (long)_g.Height * _g.Width;
        long inPer = _channels * inHw, outPer = _spec.NumOutput * outHw;
        int group = _spec.Group, cg = _channels / group, kg = _g.LoweredRows / group, cols = (int)(b * inHw);
        var dy = top.Diff.Slice(start * outPer, b * outPer);
        if (_spec.BiasTerm)
            for (int i = 0; i < b; i++)
                Device.RowSumsAccumulate(Params[1].Diff, dy.Slice(i * outPer, outPer), _spec.NumOutput, outHw);
        var col = _col!.Data.Slice(0, (long)_g.LoweredRows * cols);
        Device.Im2ColBatch(col, dy, b, _g);
        var x = _cnhw!.Data.Slice(0, _channels * (long)cols);
        Device.NchwToCnhw(x, bottom.Data.Slice(start * inPer, b * inPer), b, _channels, inHw);
        var w = Params[0];
        for (int g = 0; g < group; g++)
            Device.Gemm(false, true, cg, kg, cols, 1f,
                x.Slice((long)g * cg * cols, (long)cg * cols), col.Slice((long)g * kg * cols, (long)kg * cols),
                1f, w.Diff.Slice((long)g * cg * kg, (long)cg * kg));
        if (!propagate) return;
        var dx = _cnhw.Diff.Slice(0, _channels * (long)cols);
        for (int g = 0; g < group; g++)
            Device.Gemm(false, false, cg, cols, kg, 1f,
                w.Data.Slice((long)g * cg * kg, (long)cg * kg), col.Slice((long)g * kg * cols, (long)kg * cols),
                0f, dx.Slice((long)g * cg * cols, (long)cg * cols));
        Device.CnhwToNchw(bottom.Diff.Slice(start * inPer, b * inPer), dx, default, b, _channels, inHw);
    }

    public override void Dispose()
    {
        base.Dispose();
        _col?.Dispose();
        _cnhw?.Dispose();
        _ones?.Dispose();
    }

    // FLOP accounting (omnivore time, bench): 2 * bottom count * (num_output/group)*KH*KW per
    // product; backward is the weight gradient plus, where propagated, the data gradient.
    public override double ForwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        bottom.Sum(b => 2.0 * b.Count * (Params[0].Count / _channels));

    public override double BackwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown) =>
        Enumerable.Range(0, bottom.Count).Sum(i => 2.0 * bottom[i].Count * (Params[0].Count / _channels) * (propagateDown[i] ? 2 : 1));
}
