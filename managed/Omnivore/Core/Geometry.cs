// Geometry: the window arithmetic shared by convolution and pooling, computed once by
// the layer and handed to the device kernels.
namespace Omnivore.Core;

/// <summary>A 2-D sliding window over (C, H, W) images: kernel, pad, stride, dilation.</summary>
public readonly record struct WindowGeometry(
    int Channels, int Height, int Width,
    int KernelH, int KernelW, int PadH, int PadW,
    int StrideH, int StrideW, int DilationH = 1, int DilationW = 1)
{
    /// <summary>Output height of a convolution (floor), as Caffe computes it.</summary>
    public int ConvOutH => (Height + 2 * PadH - (DilationH * (KernelH - 1) + 1)) / StrideH + 1;
    public int ConvOutW => (Width + 2 * PadW - (DilationW * (KernelW - 1) + 1)) / StrideW + 1;

    /// <summary>Rows of the lowered matrix: C * KH * KW.</summary>
    public int LoweredRows => Channels * KernelH * KernelW;

    public override string ToString() =>
        $"C{Channels} {Height}x{Width} k{KernelH}x{KernelW} p{PadH}x{PadW} s{StrideH}x{StrideW} d{DilationH}x{DilationW}";
}
