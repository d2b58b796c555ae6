// InputLayer: declares input blobs of fixed shapes (input_param { shape { dim: … } }),
// filled by the caller (deploy nets, `omnivore time`). Forward and backward do nothing.
using Omnivore.Core;

namespace Omnivore.Layers;

public sealed class InputLayer : Layer
{
    public InputLayer(LayerContext c) : base(c) { }

    public override string Type => "Input";
    protected override int ExactBottoms => 0;
    protected override int MinTops => 1;

    protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        var shapes = Param.InputParam?.Shape ?? throw Error("missing input_param");
        if (shapes.Count != 1 && shapes.Count != top.Count)
            throw Error($"input_param has {shapes.Count} shapes for {top.Count} tops (give 1 or one per top)");
        for (int i = 0; i < top.Count; i++)
            top[i].Reshape(shapes[shapes.Count == 1 ? 0 : i].Dim.Select(d => checked((int)d)).ToArray());
    }

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }
    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom) { }
}
