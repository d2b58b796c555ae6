// Net.Flops: floating-point operations per layer of one training iteration (forward, and
// backward as the net runs it: no backward for layers that need none, no data gradient
// where nothing below needs it), for the GFLOP/s figures of `omnivore time` and the bench.
namespace Omnivore.Nets;

public sealed partial class Net
{
    /// <summary>Which bottoms of layer i receive a gradient in Backward.</summary>
    public IReadOnlyList<bool> BottomNeedsBackward(int i) => _bottomNeedBackward[i];

    /// <summary>FLOPs of layer i's Forward at the current shapes.</summary>
    public double ForwardFlops(int i) => _layers[i].ForwardFlops(_bottoms[i], _tops[i]);

    /// <summary>FLOPs of layer i's Backward as BackwardLayer(i) runs it (0 when it is skipped).</summary>
    public double BackwardFlops(int i) =>
        _layerNeedBackward[i] ? _layers[i].BackwardFlops(_bottoms[i], _tops[i], _bottomNeedBackward[i]) : 0;

    /// <summary>Total FLOPs of one Forward and of one Backward over all layers.</summary>
    public (double Forward, double Backward) Flops()
    {
        double f = 0, b = 0;
        for (int i = 0; i < _layers.Count; i++)
        {
            f += ForwardFlops(i);
            b += BackwardFlops(i);
        }
        return (f, b);
    }
}
