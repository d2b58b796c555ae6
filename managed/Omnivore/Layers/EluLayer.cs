// EluLayer: exponential linear unit (elu_param.alpha, default 1):
// y = x > 0 ? x : alpha * (e^x - 1); backward dy for x > 0, dy * (y + alpha) otherwise.
// In place, the output's sign stands for the input's when alpha >= 0 (Caffe's own
// behaviour); a negative alpha keeps a copy of the input instead.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class EluLayer : UnaryNeuronLayer
{
    public EluLayer(LayerContext c) : base(c) { }

    public override string Type => "ELU";
    protected override UnaryOp Op => UnaryOp.Elu;
    protected override bool KeepInputInPlace => A < 0;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) =>
        A = Param.EluParam?.Alpha ?? 1f;
}
