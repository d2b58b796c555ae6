// EuclideanLossLayer: loss = 1/(2N) * sum (a - b)^2 over two bottoms of equal size per
// example, N = bottom[0].num. The gradient reaches both bottoms: +(a - b) * w / N to the
// first and -(a - b) * w / N to the second (w the loss weight, N that bottom's num).
// All on the device; the difference is kept from Forward for Backward.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class EuclideanLossLayer : Layer
{
    private Blob? _diff;

    public EuclideanLossLayer(LayerContext c) : base(c) { }

    public override string Type => "EuclideanLoss";
    public override bool IsLoss => true;
    protected override int ExactBottoms => 2;
    protected override int ExactTops => 1;

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var (a, b) = (bottom[0], bottom[1]);
        if (a.NumAxes < 1 || b.NumAxes < 1 || a[0] != b[0])
            throw Error($"the inputs must have the same first dimension: '{a.Name}' {a.ShapeString} vs '{b.Name}' {b.ShapeString}");
        if (a.CountFrom(1) != b.CountFrom(1))
            throw Error($"the inputs must have the same size per example: '{a.Name}' {a.ShapeString} vs '{b.Name}' {b.ShapeString}");
        _diff ??= new Blob(Device, $"{Name}.diff");
        _diff.ReshapeLike(a);
        top[0].Reshape();
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        Device.Copy(_diff!.Data, bottom[0].Data);
        Device.Axpby(_diff.Data, -1f, bottom[1].Data, 1f);
        double dot = Device.Dot(_diff.Data, _diff.Data);
        top[0].UploadData([(float)(dot / bottom[0].Num / 2)]);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0] && !propagateDown[1]) return;
        float lossWeight = top[0].DownloadDiff()[0];
        for (int i = 0; i < 2; i++)
        {
            if (!propagateDown[i]) continue;
            float sign = i == 0 ? 1f : -1f;
            Device.Copy(bottom[i].Diff, _diff!.Data);
            Device.Scale(bottom[i].Diff, sign * lossWeight / bottom[i].Num);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _diff?.Dispose();
    }
}
