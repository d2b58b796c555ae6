// CpuDevice.ConvEngine: IDevice.ConvEngine as calls into omnivore_conv_engine.h; the
// native side runs the partitions concurrently (OpenMP) with single-threaded sgemm, or
// with the packed engine's own kernel (plans of mode Packed, on CPUs with AVX-512).
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    private static OmConvShape Native(in ConvShape s)
    {
        var g = s.Window;
        return new OmConvShape
        {
            C = g.Channels, H = g.Height, W = g.Width, KH = g.KernelH, KW = g.KernelW, PH = g.PadH, PW = g.PadW,
            SH = g.StrideH, SW = g.StrideW, DH = g.DilationH, DW = g.DilationW, Cout = s.NumOutput, Group = s.Group,
        };
    }

    private static void CheckSizes(int n, in ConvShape s, DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer weights)
    {
        if (top.Length < n * s.OutPerImage || bottom.Length < n * s.InPerImage || weights.Length < s.WeightCount)
            throw new ArgumentException($"conv {s} n={n}: buffers of {top.Length}, {bottom.Length}, {weights.Length} are too small");
    }

    public int ConvMaxPartitions => Threads;

    private static readonly bool PackedSupported = om_conv_packed_supported() == 1;

    public bool ConvSupports(ConvMode mode) => mode != ConvMode.Packed || PackedSupported;

    public long ConvWorkspaceFloats(in ConvShape shape, in ConvPlan plan)
    {
        var s = Native(shape);
        long floats;
        if (plan.Mode == ConvMode.Packed)
        {
            Check(om_conv_packed_workspace_floats(&floats, &s, plan.Partitions), "om_conv_packed_workspace_floats");
            return floats;
        }
        Check(om_conv_workspace_floats(&floats, &s, plan.Partitions, plan.ImagesPerLowering), "om_conv_workspace_floats");
        return floats;
    }

    public void ConvForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer weights, DeviceBuffer bias,
                            DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan, bool relu = false)
    {
        CheckSizes(n, shape, top, bottom, weights);
        if (!bias.IsNull && bias.Length < shape.NumOutput) throw new ArgumentException("bias is shorter than num_output");
        var s = Native(shape);
        if (plan.Mode == ConvMode.Packed)
        {
            // The packed kernel rectifies the tile as it stores it: no second pass over top.
            if (relu)
                Check(om_conv_packed_forward_relu(F(top), F(bottom), F(weights), F(bias), F(workspace), workspace.Length, n, &s,
                    plan.Partitions), "om_conv_packed_forward_relu");
            else
                Check(om_conv_packed_forward(F(top), F(bottom), F(weights), F(bias), F(workspace), workspace.Length, n, &s,
                    plan.Partitions), "om_conv_packed_forward");
            return;
        }
        Check(om_conv_forward(F(top), F(bottom), F(weights), F(bias), F(workspace), workspace.Length, n, &s,
            plan.Partitions, plan.ImagesPerLowering), "om_conv_forward");
        if (relu) ReluForward(top.Slice(0, n * shape.OutPerImage), top.Slice(0, n * shape.OutPerImage), 0f);
    }

    public void ConvBackward(DeviceBuffer bottomDiff, DeviceBuffer weightDiff, DeviceBuffer biasDiff,
                             DeviceBuffer topDiff, DeviceBuffer bottom, DeviceBuffer weights,
                             DeviceBuffer workspace, int n, in ConvShape shape, in ConvPlan plan)
    {
        CheckSizes(n, shape, topDiff, bottom, weights);
        if (weightDiff.Length < shape.WeightCount) throw new ArgumentException("weight diff is shorter than the weights");
        if (!bottomDiff.IsNull && bottomDiff.Length < n * shape.InPerImage) throw new ArgumentException("bottom diff is too small");
        if (!biasDiff.IsNull && biasDiff.Length < shape.NumOutput) throw new ArgumentException("bias diff is shorter than num_output");
        var s = Native(shape);
        if (plan.Mode == ConvMode.Packed)
        {
            Check(om_conv_packed_backward(F(bottomDiff), F(weightDiff), F(biasDiff), F(topDiff), F(bottom), F(weights),
                F(workspace), workspace.Length, n, &s, plan.Partitions), "om_conv_packed_backward");
            return;
        }
        Check(om_conv_backward(F(bottomDiff), F(weightDiff), F(biasDiff), F(topDiff), F(bottom), F(weights),
            F(workspace), workspace.Length, n, &s, plan.Partitions, plan.ImagesPerLowering), "om_conv_backward");
    }
}
