// CudaDevice.Conv: a convolution layer's forward and backward pass on the GPU by batched
// lowering: B images at a time (the plan's images per lowering; Caffe's mode is B = 1;
// partitions are ignored: one GPU runs one partition) are lowered into one matrix and
// multiplied with one cuBLAS call for all groups (strided-batched). With B > 1 the product
// is (Cout, B*OH*OW) in a staging area and a layout kernel moves it to (B, Cout, OH*OW),
// adding the bias; with B = 1 it is already the image's layout. Backward mirrors the CPU
// engine: weight and bias gradients accumulate, bottom diff is overwritten. The same
// composition is checked under the CUDA emulator in native/tests/test_cuda_emulated_lowering.cpp.
using Omnivore.Core;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    public int ConvMaxPartitions => 1;

    /// <summary>Batched and Caffe's plans map onto the GPU's lowering; the packed engine is the CPU's.</summary>
    public bool ConvSupports(ConvMode mode) => mode != ConvMode.Packed;

    private static long ImagesPerLowering(in ConvPlan plan) => plan.Mode == ConvMode.Caffe ? 1 : Math.Max(1, plan.ImagesPerLowering);

    public long ConvWorkspaceFloats(in ConvShape shape, in ConvPlan plan)
    {
        long b = ImagesPerLowering(plan), ohw = (long)shape.OutH * shape.OutW;
        return shape.Window.LoweredRows * b * ohw + (b > 1 ? shape.NumOutput * b * ohw : 0);
    }

    private static void CheckConv(int n, in ConvShape s, DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer weights)
    {
        if (top.Length < n * s.OutPerImage || bottom.Length < n * s.InPerImage || weights.Length < s.WeightCount)
            throw new ArgumentException($"conv {s} n={n}: buffers of {top.Length}, {bottom.Length}, {weights.Length} are too small");
        if (s.Group < 1 || s.Window.Channels % s.Group != 0 || s.NumOutput % s.Group != 0)
            throw new ArgumentException($"conv {s}: group {s.Group} must divide {s.Window.Channels} and {s.NumOutput}");
        if (s.OutH <= 0 || s.OutW <= 0) throw new ArgumentException($"conv {s}: the kernel does not fit the padded input");
    }

    private void CheckWorkspace(DeviceBuffer workspace, in ConvShape shape, in ConvPlan plan)
    {
        long need = ConvWorkspaceFloats(shape, plan);
        if (workspace.Length < need) throw new ArgumentException($"conv workspace has {workspace.Length} floats, the plan needs {need}");
    }

    /// <summary>Images per lowering, output pixels, per-group GEMM sizes, and the workspace's
    /// lowered matrix and staging area (the layout ConvWorkspaceFloats sizes).</summary>
    private (long B, long Ohw, long M, long K, long Cout, ulong Col, ulong Stage) Dims(in ConvShape shape, in ConvPlan plan,
                                                                                 DeviceBuffer workspace)
    {
        long b = ImagesPerLowering(plan), ohw = (long)shape.OutH * shape.OutW, rows = shape.Window.LoweredRows;
        ulong col = (ulong)workspace.Ptr;
        return (b, ohw, shape.NumOutput / shape.Group, rows / shape.Group, shape.NumOutput, col, col + (ulong)(rows * b * ohw * 4));
    }

    public void ConvForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer weights, DeviceBuffer bias,
                            DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan, bool relu = false)
    {
        CheckConv(n, shape, top, bottom, weights);
        if (!bias.IsNull && bias.Length < shape.NumOutput) throw new ArgumentException("bias is shorter than num_output");
        CheckWorkspace(workspace, shape, plan);
        var g = shape.Window;
        var (b, ohw, m, k, cout, col, stage) = Dims(shape, plan, workspace);
        for (long start = 0; start < n; start += b)
        {
            long bb = Math.Min(b, n - start), cols = bb * ohw;
            Im2Col(col, (ulong)bottom.Ptr + (ulong)(start * shape.InPerImage * 4), bb, g);
            ulong dst = (ulong)top.Ptr + (ulong)(start * shape.OutPerImage * 4);
            if (bb == 1)
            {
                GemmGroups(false, false, m, cols, k, 1f, (ulong)weights.Ptr, m * k, col, k * cols, 0f, dst, m * cols, shape.Group);
                if (!bias.IsNull) Launch("omk_bias_add_planes", cout * ohw, [A(dst), A(bias), A(1L), A(cout), A(ohw)]);
            }
            else
            {
                GemmGroups(false, false, m, cols, k, 1f, (ulong)weights.Ptr, m * k, col, k * cols, 0f, stage, m * cols, shape.Group);
                Launch("omk_cnhw_to_nchw", bb * cout * ohw, [A(dst), A(stage), A(bias), A(bb), A(cout), A(ohw)]);
            }
        }
        if (relu) ReluForward(top.Slice(0, n * shape.OutPerImage), top.Slice(0, n * shape.OutPerImage), 0f);
    }

    public void ConvBackward(DeviceBuffer bottomDiff, DeviceBuffer weightDiff, DeviceBuffer biasDiff,
                             DeviceBuffer topDiff, DeviceBuffer bottom, DeviceBuffer weights,
                             DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan)
    {
        CheckConv(n, shape, topDiff, bottom, weights);
        if (weightDiff.Length < shape.WeightCount) throw new ArgumentException("weight diff is shorter than the weights");
        if (!bottomDiff.IsNull && bottomDiff.Length < n * shape.InPerImage) throw new ArgumentException("bottom diff is too small");
        if (!biasDiff.IsNull && biasDiff.Length < shape.NumOutput) throw new ArgumentException("bias diff is shorter than num_output");
        CheckWorkspace(workspace, shape, plan);
        var g = shape.Window;
        var (b, ohw, m, k, cout, col, stage) = Dims(shape, plan, workspace);
        for (long start = 0; start < n; start += b)
        {
            long bb = Math.Min(b, n - start), cols = bb * ohw;
            ulong td = (ulong)topDiff.Ptr + (ulong)(start * shape.OutPerImage * 4);
            if (bb > 1)
            {
                Launch("omk_nchw_to_cnhw", bb * cout * ohw, [A(stage), A(td), A(bb), A(cout), A(ohw)]);
                td = stage;
            }
            if (!biasDiff.IsNull)
                ChannelReduce(biasDiff, new DeviceBuffer((nint)td, cout * cols), default, 1, cout, cols, TermX, FinishAdd);
            Im2Col(col, (ulong)bottom.Ptr + (ulong)(start * shape.InPerImage * 4), bb, g);
            GemmGroups(false, true, m, k, cols, 1f, td, m * cols, col, k * cols, 1f, (ulong)weightDiff.Ptr, m * k, shape.Group);
            if (bottomDiff.IsNull) continue;
            GemmGroups(true, false, k, cols, m, 1f, (ulong)weights.Ptr, m * k, td, m * cols, 0f, col, k * cols, shape.Group);
            Col2Im((ulong)bottomDiff.Ptr + (ulong)(start * shape.InPerImage * 4), col, bb, g);
        }
    }
}
