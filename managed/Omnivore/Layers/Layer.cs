// Layer: Caffe's layer contract. SetUp checks blob counts, runs LayerSetUp and Reshape,
// and assigns loss weights; Forward and Backward do the math through the layer's
// IDevice, written once for every device. Parameters (weights, biases) are Blobs in
// Params; the net later rebinds them into its contiguous parameter arena.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public abstract class Layer : IDisposable
{
    protected Layer(LayerContext context)
    {
        Context = context;
        Param = context.Param;
        Device = context.Device;
    }

    public LayerContext Context { get; }
    public LayerParameter Param { get; }
    public IDevice Device { get; }
    public string Name => Param.Name;
    public Phase Phase => Context.Phase;
    public abstract string Type { get; }

    /// <summary>Learnable parameters, in Caffe's order (weights, then bias).</summary>
    public List<Blob> Params { get; } = [];

    /// <summary>Loss weight of each top blob (0 for non-loss tops).</summary>
    public float[] LossWeights { get; private set; } = [];

    protected virtual int ExactBottoms => -1;
    protected virtual int MinBottoms => -1;
    protected virtual int MaxBottoms => -1;
    protected virtual int ExactTops => -1;
    protected virtual int MinTops => -1;
    protected virtual int MaxTops => -1;

    /// <summary>Loss layers give their first top a default loss weight of 1.</summary>
    public virtual bool IsLoss => false;

    /// <summary>
    /// Learning-rate and weight-decay multipliers this layer forces on its parameter i,
    /// whatever the prototxt's param specs say (Caffe's BatchNorm fixes its statistics at
    /// lr_mult 0 so that no solver updates them); null: the param specs decide.
    /// </summary>
    public virtual (float LrMult, float DecayMult)? ParamMultOverride(int index) => null;

    /// <summary>Whether Backward may be asked to propagate to bottom i.</summary>
    public virtual bool AllowBackwardTo(int bottomIndex) => true;

    public void SetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        CheckBlobCounts(bottom, top);
        try
        {
            LayerSetUp(bottom, top);
            Reshape(bottom, top);
        }
        catch (DeviceOutOfMemoryException e) when (e.Layer is null)
        {
            var sized = bottom.Count > 0 ? bottom[0] : top.Count > 0 ? top[0] : null;
            throw e.InLayer($"layer '{Name}' ({Type})", sized is { NumAxes: > 0 } b ? b[0] : 0);
        }
        catch (OmnivoreException e) when (e is not DeviceOutOfMemoryException && !e.Message.Contains($"layer '{Name}'"))
        {
            throw Error(e.Message); // e.g. a blob too large: say which layer sized it
        }
        SetLossWeights(top);
    }

    protected virtual void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) { }

    /// <summary>Sizes the tops (and internal buffers) from the bottoms; cheap when nothing changed.</summary>
    public abstract void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top);

    public abstract void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top);

    public abstract void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom);

    /// <summary>An error that names this layer, for shape and parameter problems.</summary>
    protected OmnivoreException Error(string what) => new($"layer '{Name}' ({Type}): {what}");

    private void CheckBlobCounts(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
    {
        void Check(string what, int n, int exact, int min, int max)
        {
            if (exact >= 0 && n != exact) throw Error($"takes exactly {exact} {what} blob(s), got {n}");
            if (min >= 0 && n < min) throw Error($"takes at least {min} {what} blob(s), got {n}");
            if (max >= 0 && n > max) throw Error($"takes at most {max} {what} blob(s), got {n}");
        }
        Check("bottom", bottom.Count, ExactBottoms, MinBottoms, MaxBottoms);
        Check("top", top.Count, ExactTops, MinTops, MaxTops);
    }

    private void SetLossWeights(IReadOnlyList<Blob> top)
    {
        LossWeights = new float[top.Count];
        if (Param.LossWeight.Count > 0 && Param.LossWeight.Count != top.Count)
            throw Error($"has {Param.LossWeight.Count} loss_weight values but {top.Count} top blobs");
        for (int i = 0; i < top.Count; i++)
        {
            float w = Param.LossWeight.Count > 0 ? Param.LossWeight[i] : (IsLoss && i == 0 ? 1f : 0f);
            LossWeights[i] = w;
            if (w != 0)
            {
                // The top's diff holds its loss weight, so Backward starts from dLoss/dTop = w.
                Device.Set(top[i].Diff, w);
            }
        }
    }

    /// <summary>Creates a learnable parameter blob of the given shape.</summary>
    protected Blob AddParam(string suffix, params int[] shape)
    {
        var b = new Blob(Device, $"{Name}.{suffix}", shape);
        Params.Add(b);
        return b;
    }

    public virtual void Dispose()
    {
        foreach (var p in Params) p.Dispose();
    }

    /// <summary>Floating-point operations of one Forward on these blobs (a multiply-add counts 2),
    /// for GFLOP/s reports. Only the matrix products are counted (convolutions, inner products);
    /// other layers report 0.</summary>
    public virtual double ForwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => 0;

    /// <summary>Floating-point operations of one Backward: the parameter gradients, plus the bottom
    /// gradients where propagateDown is set (as ForwardFlops, only the matrix products).</summary>
    public virtual double BackwardFlops(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown) => 0;

    public override string ToString() => $"{Name} ({Type})";
}

/// <summary>
/// What a layer is built from: its parameter, device, phase, the run's Rng and the run's
/// convolution engine (null: a convolution layer makes its own with default options).
/// </summary>
public sealed record LayerContext(LayerParameter Param, IDevice Device, Phase Phase, Rng Rng,
                                  Engine.ConvEngine? Conv = null);
