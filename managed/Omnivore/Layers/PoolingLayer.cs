// PoolingLayer: MAX and AVE pooling over (N, C, H, W), with global pooling and Caffe's
// output-size rule (ceil by default, and a last window that would start inside the
// padding is dropped).
using Omnivore.Core;
using Omnivore.Model.Caffe;
using PoolMethod = Omnivore.Model.Caffe.PoolingParameter.Types.PoolMethod;
using RoundMode = Omnivore.Model.Caffe.PoolingParameter.Types.RoundMode;

namespace Omnivore.Layers;

public sealed class PoolingLayer : Layer
{
    private WindowGeometry _g;
    private int _outH, _outW;
    private PoolMethod _method;
    private bool _global;
    private Blob? _mask;

    public PoolingLayer(LayerContext c) : base(c) { }

    public override string Type => "Pooling";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.PoolingParam ?? new PoolingParameter();
        _method = p.Pool;
        if (_method == PoolMethod.Stochastic) throw Error("STOCHASTIC pooling is not implemented");
        _global = p.GlobalPooling;
        var b = bottom[0];
        if (b.NumAxes != 4) throw Error($"expects a 4-axis bottom, got {b.ShapeString}");
        int kh, kw;
        if (_global)
        {
            if (p.HasKernelSize || p.HasKernelH || p.HasKernelW) throw Error("with global_pooling the kernel size must not be given");
            (kh, kw) = (b[2], b[3]);
        }
        else if (p.HasKernelSize)
        {
            if (p.HasKernelH || p.HasKernelW) throw Error("give either kernel_size or kernel_h/kernel_w, not both");
            kh = kw = (int)p.KernelSize;
        }
        else if (p.HasKernelH && p.HasKernelW) (kh, kw) = ((int)p.KernelH, (int)p.KernelW);
        else throw Error("kernel_size (or kernel_h and kernel_w) is required");
        int ph = p.HasPadH ? (int)p.PadH : (int)p.Pad, pw = p.HasPadW ? (int)p.PadW : (int)p.Pad;
        int sh = p.HasStrideH ? (int)p.StrideH : (int)p.Stride, sw = p.HasStrideW ? (int)p.StrideW : (int)p.Stride;
        if (_global && (ph != 0 || pw != 0 || sh != 1 || sw != 1)) throw Error("global pooling takes pad 0 and stride 1");
        if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0) throw Error("kernel and stride must be positive");
        if (ph >= kh || pw >= kw) throw Error($"pad {ph}x{pw} must be smaller than kernel {kh}x{kw}");
        _g = new WindowGeometry(b[1], b[2], b[3], kh, kw, ph, pw, sh, sw);
    }

    /// <summary>Caffe's pooled size for one axis.</summary>
    public static int PooledSize(int size, int kernel, int pad, int stride, bool ceil)
    {
        double q = (double)(size + 2 * pad - kernel) / stride;
        int pooled = (int)(ceil ? Math.Ceiling(q) : Math.Floor(q)) + 1;
        if (pad > 0 && (pooled - 1) * stride >= size + pad) pooled--;
        return pooled;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        if (b.NumAxes != 4) throw Error($"expects a 4-axis bottom, got {b.ShapeString}");
        _g = _g with { Channels = b[1], Height = b[2], Width = b[3] };
        if (_global) _g = _g with { KernelH = b[2], KernelW = b[3] };
        bool ceil = (Param.PoolingParam?.RoundMode ?? RoundMode.Ceil) == RoundMode.Ceil;
        _outH = PooledSize(_g.Height, _g.KernelH, _g.PadH, _g.StrideH, ceil);
        _outW = PooledSize(_g.Width, _g.KernelW, _g.PadW, _g.StrideW, ceil);
        if (_outH <= 0 || _outW <= 0) throw Error($"kernel {_g.KernelH}x{_g.KernelW} does not fit input {b[2]}x{b[3]}");
        top[0].Reshape(b[0], b[1], _outH, _outW);
        if (_method == PoolMethod.Max)
        {
            _mask ??= new Blob(Device, $"{Name}.mask");
            _mask.Reshape(b[0], b[1], _outH, _outW);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        int n = bottom[0][0];
        if (_method == PoolMethod.Max)
            Device.MaxPoolForward(top[0].Data, _mask!.Data, bottom[0].Data, n, _g, _outH, _outW);
        else
            Device.AvePoolForward(top[0].Data, bottom[0].Data, n, _g, _outH, _outW);
    }

    /// <summary>MAX pooling (the only kind a ReLU's backward fuses into).</summary>
    public bool IsMax => _method == PoolMethod.Max;

    /// <summary>Set by the net when the in-place ReLU just before (negative_slope 0) leaves its backward to this
    /// layer (see Net.FusePoolingReluBackward): backward then also masks the bottom's gradient by bottom > 0.</summary>
    public bool FusedReluBackward { get; set; }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        int n = bottom[0][0];
        if (_method == PoolMethod.Max && FusedReluBackward)
            Device.MaxPoolBackwardRelu(bottom[0].Diff, top[0].Diff, _mask!.Data, bottom[0].Data, top[0].Data, n, _g, _outH, _outW);
        else if (_method == PoolMethod.Max)
            Device.MaxPoolBackward(bottom[0].Diff, top[0].Diff, _mask!.Data, n, _g, _outH, _outW);
        else
            Device.AvePoolBackward(bottom[0].Diff, top[0].Diff, n, _g, _outH, _outW);
    }

    public override void Dispose()
    {
        base.Dispose();
        _mask?.Dispose();
    }
}
