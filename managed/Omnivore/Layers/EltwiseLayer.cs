// EltwiseLayer: combines bottoms of one shape element by element: PROD (product), SUM
// (with one coeff per bottom, default 1) or MAX (the index of the winning bottom is kept
// in an int mask for backward; ties as Caffe). PROD's gradient is top_diff times the
// product of the other bottoms (stable_prod_grad, the default) or top_diff * top / bottom.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Op = Omnivore.Model.Caffe.EltwiseParameter.Types.EltwiseOp;

namespace Omnivore.Layers;

public sealed class EltwiseLayer : Layer
{
    private Op _op;
    private float[] _coeffs = [];
    private bool _stableProdGrad;
    private Blob? _mask;

    public EltwiseLayer(LayerContext c) : base(c) { }

    public override string Type => "Eltwise";
    protected override int MinBottoms => 2;
    protected override int ExactTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.EltwiseParam ?? new EltwiseParameter();
        if (p.Coeff.Count != 0 && p.Coeff.Count != bottom.Count)
            throw Error($"Eltwise Layer takes one coefficient per bottom blob: {p.Coeff.Count} coeff(s) for {bottom.Count} bottoms");
        _op = p.Operation;
        if (_op == Op.Prod && p.Coeff.Count != 0) throw Error("Eltwise layer only takes coefficients for summation.");
        _coeffs = p.Coeff.Count != 0 ? p.Coeff.ToArray() : Enumerable.Repeat(1f, bottom.Count).ToArray();
        _stableProdGrad = p.StableProdGrad;
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        for (int i = 1; i < bottom.Count; i++)
            if (!bottom[i].SameShape(bottom[0]))
                throw Error($"bottom[0]: {bottom[0].ShapeString}, bottom[{i}]: {bottom[i].ShapeString}; all bottoms must have one shape");
        if (bottom.Contains(top[0])) throw Error("does not allow in-place computation");
        top[0].ReshapeLike(bottom[0]);
        if (_op == Op.Max)
        {
            _mask ??= new Blob(Device, $"{Name}.mask");
            _mask.ReshapeLike(bottom[0]);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var y = top[0].Data;
        switch (_op)
        {
            case Op.Prod:
                Device.Mul(y, bottom[0].Data, bottom[1].Data);
                for (int i = 2; i < bottom.Count; i++) Device.Mul(y, y, bottom[i].Data);
                break;
            case Op.Sum:
                Device.Set(y, 0f);
                for (int i = 0; i < bottom.Count; i++) Device.Axpby(y, _coeffs[i], bottom[i].Data, 1f);
                break;
            case Op.Max:
                for (int i = 0; i < bottom.Count; i++) Device.EltwiseMaxForward(y, _mask!.Data, bottom[i].Data, i);
                break;
            default:
                throw Error($"unknown operation {_op}");
        }
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        var dy = top[0].Diff;
        for (int i = 0; i < bottom.Count; i++)
        {
            if (!propagateDown[i]) continue;
            var dx = bottom[i].Diff;
            switch (_op)
            {
                case Op.Prod:
                    if (_stableProdGrad)
                    {
                        bool first = true;
                        for (int j = 0; j < bottom.Count; j++)
                        {
                            if (j == i) continue;
                            if (first) Device.Copy(dx, bottom[j].Data);
                            else Device.Mul(dx, dx, bottom[j].Data);
                            first = false;
                        }
                    }
                    else
                    {
                        Device.EltwiseDiv(dx, top[0].Data, bottom[i].Data);
                    }
                    Device.Mul(dx, dx, dy);
                    break;
                case Op.Sum:
                    Device.Copy(dx, dy);
                    if (_coeffs[i] != 1f) Device.Scale(dx, _coeffs[i]);
                    break;
                case Op.Max:
                    Device.EltwiseMaxBackward(dx, dy, _mask!.Data, i);
                    break;
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _mask?.Dispose();
    }
}
