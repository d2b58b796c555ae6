// UnaryNeuronLayer: the shared body of Caffe's elementwise neuron layers (Sigmoid, TanH,
// AbsVal, ELU, Power, Exp, Log, Threshold): one bottom, one top of the same shape, the
// math done by the device's generic UnaryForward/UnaryBackward with the op's a, b, c.
// In place (top == bottom) works for every op: when the backward pass needs the forward
// input and it cannot be read back from the output, the input is kept in a private blob
// during Forward (as Caffe's PReLU does).
using Omnivore.Core;

namespace Omnivore.Layers;

public abstract class UnaryNeuronLayer : Layer
{
    private Blob? _savedInput;

    protected UnaryNeuronLayer(LayerContext c) : base(c) { }

    protected override int ExactBottoms => 1;
    protected override int ExactTops => 1;

    /// <summary>The device op this layer applies.</summary>
    protected abstract UnaryOp Op { get; }

    /// <summary>The op's parameters (see UnaryOp), fixed in LayerSetUp.</summary>
    protected float A { get; set; }
    protected float B { get; set; }
    protected float C { get; set; }

    /// <summary>Whether Backward needs the forward input x, so an in-place layer must keep a copy.</summary>
    protected virtual bool KeepInputInPlace => false;

    private static bool InPlace(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => ReferenceEquals(top[0], bottom[0]);

    public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (!InPlace(bottom, top)) top[0].ReshapeLike(bottom[0]);
        else if (KeepInputInPlace)
        {
            _savedInput ??= new Blob(Device, $"{Name}.input");
            _savedInput.ReshapeLike(bottom[0]);
        }
    }

    public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        if (InPlace(bottom, top) && KeepInputInPlace) Device.Copy(_savedInput!.Data, bottom[0].Data);
        Device.UnaryForward(Op, top[0].Data, bottom[0].Data, A, B, C);
    }

    public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
    {
        if (!propagateDown[0]) return;
        var x = InPlace(bottom, top) && KeepInputInPlace ? _savedInput!.Data : bottom[0].Data;
        Device.UnaryBackward(Op, bottom[0].Diff, top[0].Diff, x, top[0].Data, A, B, C);
    }

    public override void Dispose()
    {
        base.Dispose();
        _savedInput?.Dispose();
    }
}
