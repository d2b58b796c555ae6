// ConvolutionLayer: 2-D convolution by Omnivore's batched lowering, run by the convolution
// engine: the batch is split into P partitions (run concurrently on the CPU, each with its
// own lowering buffer and single-threaded sgemm), each lowering B images at a time into
// one matrix (C*KH*KW, B*OH*OW) for one sgemm per group; P = 1, B = 1 is Caffe's
// one-image-at-a-time mode. The run's ConvEngine picks (P, B) per shape (probe, cache,
// command line or heuristic) and owns the workspace all conv layers share.
// Weights (Cout, Cin/group, KH, KW), bias (Cout).
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Layers;

public sealed class ConvolutionLayer : Layer
{
    /// <summary>Largest lowered matrix, in floats, a Deconvolution layer may use (64 Mi floats = 256 MiB).</summary>
    public static long LoweringBudget { get; set; } = 64L << 20;

    private ConvShape _shape;
    private int _numOutput, _group, _batch = -1;
    private bool _biasTerm;
    private ConvEngine? _ownEngine;
    private ConvChoice? _choice;

    public ConvolutionLayer(LayerContext c) : base(c) { }

    public override string Type => "Convolution";
    protected override int MinBottoms => 1;
    protected override int ExactTops => -1;

    private ConvEngine Engine => Context.Conv ?? (_ownEngine ??= new ConvEngine(Device));

    /// <summary>The execution plan, as last chosen by Reshape.</summary>
    public ConvPlan Plan => _choice?.Plan ?? default;

    /// <summary>Set by the net when an in-place ReLU follows (see Net.FuseConvolutionRelu):
    /// forward writes its output rectified.</summary>
    public bool FusedRelu { get; set; }

    /// <summary>Whether backward computes the gradient of the input (set by the net before
    /// SetUp, and again once it knows which layers run backward): the plan is probed for it.</summary>
    public bool DataGradient { get; private set; } = true;

    public void SetDataGradient(bool value)
    {
        if (value == DataGradient) return;
        DataGradient = value;
        if (_choice is not null) _choice = Engine.Choose(Name, _shape, _batch, Phase == Model.Caffe.Phase.Train, value);
    }

    /// <summary>Images lowered per sgemm, as last chosen by Reshape.</summary>
    public int ImagesPerLowering => Plan.ImagesPerLowering;

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
        _shape = new ConvShape(spec.Window(channels, b[2], b[3]), _numOutput, _group);
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
        var g = _shape.Window;
        if (b.NumAxes != 4 || b[1] != g.Channels)
            throw Error($"bottom '{b.Name}' has shape {b.ShapeString}; expected (N, {g.Channels}, H, W)");
        var shape = _shape with { Window = g with { Height = b[2], Width = b[3] } };
        if (shape.OutH <= 0 || shape.OutW <= 0)
            throw Error($"kernel {g.KernelH}x{g.KernelW} does not fit input {b[2]}x{b[3]} with pad {g.PadH}x{g.PadW}");
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!bottom[i].SameShape(b)) throw Error($"all bottoms must have the same shape; '{bottom[i].Name}' is {bottom[i].ShapeString}");
            top[i].Reshape(b[0], _numOutput, shape.OutH, shape.OutW);
        }
        if (_choice is null || shape != _shape || b[0] != _batch)
        {
            _shape = shape;
            _batch = b[0];
            _choice = Engine.Choose(Name, _shape, _batch, Phase == Model.Caffe.Phase.Train, DataGradient);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var ws = Engine.Workspace(_choice!.WorkspaceFloats);
        var bias = _biasTerm ? Params[1].Data : default;
        for (int i = 0; i < bottom.Count; i++)
            Device.ConvForward(top[i].Data, bottom[i].Data, Params[0].Data, bias, ws, bottom[i][0], _shape, Plan, FusedRelu);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var ws = Engine.Workspace(_choice!.WorkspaceFloats);
        var biasDiff = _biasTerm ? Params[1].Diff : default;
        for (int i = 0; i < top.Count; i++)
            Device.ConvBackward(propagateDown[i] ? bottom[i].Diff : default, Params[0].Diff, biasDiff,
                top[i].Diff, bottom[i].Data, Params[0].Data, ws, top[i][0], _shape, Plan);
    }

    public override void Dispose()
    {
        base.Dispose();
        _ownEngine?.Dispose();
    }

    // FLOP accounting (omnivore time, bench): 2 * top count * Cin/group*KH*KW per product;
    // backward is the weight gradient plus, where propagated, the data gradient. Bias adds not counted.
    public override double ForwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        top.Sum(t => 2.0 * t.Count * (Params[0].Count / _numOutput));

    public override double BackwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown) =>
        Enumerable.Range(0, top.Count).Sum(i => 2.0 * top[i].Count * (Params[0].Count / _numOutput) * (propagateDown[i] ? 2 : 1));
}
