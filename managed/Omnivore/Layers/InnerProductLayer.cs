// InnerProductLayer: fully connected layer. bottom is viewed as (M, K) with K the
// product of the axes from `axis` on; top (M, N) = bottom * W^T + bias, with W stored
// (N, K) as in Caffe, or (K, N) when transpose is set.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class InnerProductLayer : Layer
{
    private int _n, _k, _m, _axis;
    private bool _biasTerm, _transpose;
    private Blob? _ones;

    public InnerProductLayer(LayerContext c) : base(c) { }

    public override string Type => "InnerProduct";
    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.InnerProductParam ?? throw Error("missing inner_product_param");
        _n = (int)p.NumOutput;
        if (_n <= 0) throw Error("num_output must be positive");
        _biasTerm = p.BiasTerm;
        _transpose = p.Transpose;
        _axis = bottom[0].CanonicalAxis(p.Axis);
        _k = (int)bottom[0].CountFrom(_axis);
        if (Params.Count == 0)
        {
            var w = _transpose ? AddParam("weights", _k, _n) : AddParam("weights", _n, _k);
            Filler.Fill(w, p.WeightFiller, Context.Rng, Name);
            if (_biasTerm)
            {
                var b = AddParam("bias", _n);
                Filler.Fill(b, p.BiasFiller, Context.Rng, Name);
            }
        }
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var b = bottom[0];
        long k = b.CountFrom(_axis);
        if (k != _k)
            throw Error($"input size changed: bottom '{b.Name}' {b.ShapeString} gives {k} inputs per example, weights expect {_k}");
        _m = (int)b.CountRange(0, _axis);
        var shape = b.Shape.Take(_axis).Append(_n).ToArray();
        top[0].Reshape(shape);
        if (_biasTerm && (_ones is null || _ones.Count != _m))
        {
            _ones ??= new Blob(Device, $"{Name}.ones");
            _ones.Reshape(_m);
            Device.Set(_ones.Data, 1f);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        // top (M, N) = bottom (M, K) * op(W)
        Device.Gemm(false, !_transpose, _m, _n, _k, 1f, bottom[0].Data, Params[0].Data, 0f, top[0].Data);
        if (_biasTerm)
            Device.Gemm(false, false, _m, _n, 1, 1f, _ones!.Data, Params[1].Data, 1f, top[0].Data);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var td = top[0].Diff;
        if (_transpose)
            Device.Gemm(true, false, _k, _n, _m, 1f, bottom[0].Data, td, 1f, Params[0].Diff);   // (K, N) += X^T dY
        else
            Device.Gemm(true, false, _n, _k, _m, 1f, td, bottom[0].Data, 1f, Params[0].Diff);   // (N, K) += dY^T X
        if (_biasTerm)
            Device.Gemm(false, false, 1, _n, _m, 1f, _ones!.Data, td, 1f, Params[1].Diff);     // (1, N) += 1^T dY
        if (propagateDown[0])
            Device.Gemm(false, _transpose, _m, _k, _n, 1f, td, Params[0].Data, 0f, bottom[0].Diff); // dX = dY op(W)^T
    }

    public override void Dispose()
    {
        base.Dispose();
        _ones?.Dispose();
    }

    // FLOP accounting (omnivore time, bench): 2*M*N*K forward; backward the weight gradient
    // plus, where propagated, the data gradient. Bias adds not counted.
    public override double ForwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => 2.0 * bottom[0].Count * _n;

    public override double BackwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown) =>
        2.0 * bottom[0].Count * _n * (propagateDown[0] ? 2 : 1);
}
