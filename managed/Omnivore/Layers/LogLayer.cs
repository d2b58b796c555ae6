// LogLayer: y = log_base(shift + scale * x) (log_param; base -1, the default, means e);
// backward dy * scale / (ln(base) * (shift + scale * x)). As in Caffe, base 1 is
// rejected (its logarithm is 0). In place keeps a copy of the input.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed class LogLayer : UnaryNeuronLayer
{
    public LogLayer(LayerContext c) : base(c) { }

    public override string Type => "Log";
    protected override UnaryOp Op => UnaryOp.Log;
    protected override bool KeepInputInPlace => true;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var p = Param.LogParam ?? new LogParameter();
        float b = p.Base;
        if (b != -1f && !(b > 0f)) throw Error($"log_param.base must be strictly positive or -1 (for e), got {b}");
        float logBase = b == -1f ? 1f : MathF.Log(b);
        if (float.IsNaN(logBase) || float.IsInfinity(logBase))
            throw Error($"log(base) = log({b}) = {logBase} is not finite");
        if (logBase == 0f || float.IsInfinity(1f / logBase))
            throw Error($"log_param.base {b} has log(base) = {logBase}, so 1/log(base) is not finite");
        A = p.Scale;
        B = p.Shift;
        C = logBase;
    }
}
