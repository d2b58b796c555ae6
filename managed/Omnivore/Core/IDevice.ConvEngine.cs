// IDevice.ConvEngine: a whole convolution layer pass in one device call, under an
// execution plan (ConvPlan): P partitions of the batch, each lowering B images at a time
// into one matrix for one sgemm per group. On the CPU, P > 1 runs the partitions
// concurrently with single-threaded sgemm each; P = 1 uses the multithreaded sgemm, and
// P = 1, B = 1 is Caffe's one-image-at-a-time strategy. Packed: the CPU's own kernel with
// the lowering fused into it (32 output columns lowered into cache, multiplied at once;
// P partitions of one thread each; B does not apply), where the CPU has AVX-512. A GPU
// device may implement the same calls differently (the plan is a hint it may ignore).
namespace Omnivore.Core;

/// <summary>Caffe: one image per lowering, multithreaded sgemm. Batched: P x B with sgemm. Packed: P x fused lowering and kernel.</summary>
public enum ConvMode { Batched, Caffe, Packed }

/// <summary>How a convolution runs: partitions x images per lowering.</summary>
public readonly record struct ConvPlan(int Partitions, int ImagesPerLowering, ConvMode Mode = ConvMode.Batched)
{
    public static ConvPlan Caffe => new(1, 1, ConvMode.Caffe);

    public static ConvPlan Packed(int partitions) => new(partitions, 1, ConvMode.Packed);

    public override string ToString() =>
        Mode == ConvMode.Caffe ? "caffe (1 image per lowering, multithreaded sgemm)"
            : Mode == ConvMode.Packed ? $"packed ({Partitions} partition{(Partitions == 1 ? "" : "s")}, lowering fused into the kernel)"
            : $"batched ({Partitions} partition{(Partitions == 1 ? "" : "s")} x {ImagesPerLowering} image{(ImagesPerLowering == 1 ? "" : "s")} per lowering)";
}

/// <summary>One 2-D convolution layer's shape: the window over its input, Cout and groups.</summary>
public readonly record struct ConvShape(WindowGeometry Window, int NumOutput, int Group)
{
    public int OutH => Window.ConvOutH;
    public int OutW => Window.ConvOutW;
    public long InPerImage => (long)Window.Channels * Window.Height * Window.Width;
    public long OutPerImage => (long)NumOutput * OutH * OutW;
    public long WeightCount => (long)NumOutput * (Window.Channels / Group) * Window.KernelH * Window.KernelW;

    /// <summary>Forward multiply-adds x 2 per image.</summary>
    public double ForwardFlopsPerImage => 2.0 * WeightCount * OutH * OutW;

    public override string ToString() => $"{Window} -> {NumOutput} g{Group}";
}

public partial interface IDevice
{
    /// <summary>How many partitions can usefully run at once (the CPU's threads; 1 on a GPU).</summary>
    int ConvMaxPartitions { get; }

    /// <summary>Whether this device runs plans of the mode (the packed engine needs a CPU with AVX-512).</summary>
    bool ConvSupports(ConvMode mode);

    /// <summary>Workspace floats the plan needs for this shape (independent of the batch size).</summary>
    long ConvWorkspaceFloats(in ConvShape shape, in ConvPlan plan);

    /// <summary>top (n, Cout, OH, OW) = conv(bottom (n, C, H, W), weights) + bias (bias may be null);
    /// with relu, then Caffe's ReLU (negative_slope 0) on top, fused where the plan can.</summary>
    void ConvForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer weights, DeviceBuffer bias,
                     DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan, bool relu = false);

    /// <summary>
    /// weightDiff += dL/dW, biasDiff += dL/db (biasDiff may be null); bottomDiff, when not
    /// null, is overwritten with dL/dbottom.
    /// </summary>
    void ConvBackward(DeviceBuffer bottomDiff, DeviceBuffer weightDiff, DeviceBuffer biasDiff,
                      DeviceBuffer topDiff, DeviceBuffer bottom, DeviceBuffer weights,
                      DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan);
}
