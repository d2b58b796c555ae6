// NativeMethods.ConvEngine: bindings to omnivore_conv_engine.h (planned convolution passes).
using System.Runtime.InteropServices;

namespace Omnivore.Native;

internal static unsafe partial class NativeMethods
{
    [StructLayout(LayoutKind.Sequential)]
    public struct OmConvShape
    {
        public int C, H, W, KH, KW, PH, PW, SH, SW, DH, DW, Cout, Group;
    }

    [LibraryImport(Lib)]
    public static partial int om_conv_workspace_floats(long* floats, OmConvShape* s, int partitions, int imagesPerLowering);
    [LibraryImport(Lib)]
    public static partial int om_conv_forward(float* top, float* bottom, float* weights, float* bias, float* workspace,
        long workspaceFloats, int n, OmConvShape* s, int partitions, int imagesPerLowering);
    [LibraryImport(Lib)]
    public static partial int om_conv_backward(float* bottomDiff, float* weightDiff, float* biasDiff, float* topDiff,
        float* bottom, float* weights, float* workspace, long workspaceFloats, int n, OmConvShape* s,
        int partitions, int imagesPerLowering);

    [LibraryImport(Lib)]
    public static partial int om_conv_packed_supported();
    [LibraryImport(Lib)]
    public static partial int om_conv_packed_workspace_floats(long* floats, OmConvShape* s, int partitions);
    [LibraryImport(Lib)]
    public static partial int om_conv_packed_forward(float* top, float* bottom, float* weights, float* bias, float* workspace,
        long workspaceFloats, int n, OmConvShape* s, int partitions);
    [LibraryImport(Lib)]
    public static partial int om_conv_packed_forward_relu(float* top, float* bottom, float* weights, float* bias, float* workspace,
        long workspaceFloats, int n, OmConvShape* s, int partitions);
    [LibraryImport(Lib)]
    public static partial int om_conv_packed_backward(float* bottomDiff, float* weightDiff, float* biasDiff, float* topDiff,
        float* bottom, float* weights, float* workspace, long workspaceFloats, int n, OmConvShape* s, int partitions);
}
