// ConvolutionSpec: convolution_param read once, with Caffe's defaults and checks, for the
// layers that share it (Convolution, Deconvolution): num_output, group, bias_term, and the
// 2-D kernel, pad, stride and dilation (one value for both axes, one per axis, or the
// kernel_h/kernel_w, pad_h/pad_w, stride_h/stride_w forms).
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Layers;

public sealed record ConvolutionSpec(
    int NumOutput, int Group, bool BiasTerm,
    int KernelH, int KernelW, int PadH, int PadW,
    int StrideH, int StrideW, int DilationH, int DilationW)
{
    /// <summary>Parses and checks convolution_param; error builds the layer-named exception.</summary>
    public static ConvolutionSpec Parse(LayerParameter param, Func<string, OmnivoreException> error)
    {
        var p = param.ConvolutionParam ?? throw error("missing convolution_param");
        if (p.Axis != 1) throw error("only axis: 1 is supported");
        int numOutput = (int)p.NumOutput;
        if (numOutput <= 0) throw error("num_output must be positive");
        var (kh, kw) = Pair(p.KernelSize, p.HasKernelH ? (int)p.KernelH : null, p.HasKernelW ? (int)p.KernelW : null, null, "kernel_size", error);
        var (ph, pw) = Pair(p.Pad, p.HasPadH ? (int)p.PadH : null, p.HasPadW ? (int)p.PadW : null, 0, "pad", error);
        var (sh, sw) = Pair(p.Stride, p.HasStrideH ? (int)p.StrideH : null, p.HasStrideW ? (int)p.StrideW : null, 1, "stride", error);
        var (dh, dw) = Pair(p.Dilation, null, null, 1, "dilation", error);
        if (kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 || dh <= 0 || dw <= 0)
            throw error("kernel, stride and dilation must be positive");
        return new ConvolutionSpec(numOutput, (int)p.Group, p.BiasTerm, kh, kw, ph, pw, sh, sw, dh, dw);
    }

    /// <summary>Checks that the group count divides the input channels and num_output.</summary>
    public void CheckGroups(int channels, Func<string, OmnivoreException> error)
    {
        if (Group <= 0 || channels % Group != 0 || NumOutput % Group != 0)
            throw error($"group {Group} must divide both input channels {channels} and num_output {NumOutput}");
    }

    /// <summary>The window over a (channels, height, width) image.</summary>
    public WindowGeometry Window(int channels, int height, int width) =>
        new(channels, height, width, KernelH, KernelW, PadH, PadW, StrideH, StrideW, DilationH, DilationW);

    public int DilatedKernelH => DilationH * (KernelH - 1) + 1;
    public int DilatedKernelW => DilationW * (KernelW - 1) + 1;

    private static (int, int) Pair(IList<uint> values, int? h, int? w, int? fallback, string name,
                                   Func<string, OmnivoreException> error)
    {
        if (h.HasValue || w.HasValue)
        {
            if (values.Count > 0) throw error($"give either {name} or {name}_h/{name}_w, not both");
            // Caffe's pad_h and pad_w default to 0 on their own; kernel and stride need both.
            if (name == "pad") return (h ?? 0, w ?? 0);
            if (!h.HasValue || !w.HasValue) throw error($"{name}_h and {name}_w must be given together");
            return (h.Value, w.Value);
        }
        return values.Count switch
        {
            0 when fallback.HasValue => (fallback.Value, fallback.Value),
            0 => throw error($"{name} is required"),
            1 => ((int)values[0], (int)values[0]),
            2 => ((int)values[0], (int)values[1]),
            _ => throw error($"{name} has {values.Count} values; 2-D convolution takes 1 or 2"),
        };
    }
}
