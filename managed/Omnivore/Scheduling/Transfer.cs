// Transfer: explicit copies and scaled additions between buffers of two devices. When
// both devices address host memory (CPU replicas) the destination device reads the
// source directly; two handles on one GPU copy device to device (TryCopyFromPeer);
// otherwise the data is staged through a host array (a GPU device's
// Download/Upload; one reused array per thread), so every cross-device movement is
// visible here and nowhere else.
using Omnivore.Core;

namespace Omnivore.Scheduling;

public static class Transfer
{
    public static bool Direct(IDevice a, IDevice b) => ReferenceEquals(a, b) || (a.HostAddressable && b.HostAddressable);

    /// <summary>How data moves from a to b and back, in words (for the log).</summary>
    public static string Route(IDevice a, IDevice b) =>
        ReferenceEquals(a, b) ? "on the same device"
        : a.HostAddressable && b.HostAddressable ? "in shared host memory"
        : a.CanCopyFromPeer(b) && b.CanCopyFromPeer(a) ? "device to device"
        : "staged through host memory";

    /// <summary>dst (on dstDevice) = src (on srcDevice); equal lengths.</summary>
    public static void Copy(IDevice dstDevice, DeviceBuffer dst, IDevice srcDevice, DeviceBuffer src)
    {
        if (dst.Length != src.Length) throw new ArgumentException($"copy of {src.Length} floats into {dst.Length}");
        if (dst.Length == 0) return;
        if (Direct(dstDevice, srcDevice))
        {
            dstDevice.Copy(dst, src);
            return;
        }
        if (dstDevice.TryCopyFromPeer(dst, srcDevice, src)) return;
        if (src.Length > int.MaxValue) throw new ArgumentException($"a staged copy of {src.Length} floats is too large");
        var host = Staging(src.Length);
        srcDevice.Download(host, src);
        dstDevice.Upload(dst, host);
    }

    // One host staging array per thread, kept and grown as needed: a replica's parameters and
    // gradients cross every step, and a fresh array each time (244 MB for CaffeNet) would only
    // feed the garbage collector.
    [ThreadStatic] private static float[]? t_staging;

    private static Span<float> Staging(long floats)
    {
        if (t_staging is null || t_staging.Length < floats) t_staging = GC.AllocateUninitializedArray<float>((int)floats);
        return t_staging.AsSpan(0, (int)floats);
    }

    /// <summary>y (on yDevice) += alpha * x (on xDevice); scratch: a yDevice buffer for staging, grown as needed.</summary>
    public static void AddScaled(IDevice yDevice, DeviceBuffer y, float alpha, IDevice xDevice, DeviceBuffer x, ref DeviceBuffer scratch)
    {
        if (y.Length != x.Length) throw new ArgumentException($"add of {x.Length} floats into {y.Length}");
        if (y.Length == 0) return;
        if (Direct(yDevice, xDevice))
        {
            yDevice.Axpby(y, alpha, x, 1f);
            return;
        }
        if (scratch.Length < x.Length)
        {
            if (!scratch.IsNull) yDevice.Free(scratch);
            scratch = default;
            scratch = yDevice.Allocate(x.Length);
        }
        var staged = scratch.Slice(0, x.Length);
        Copy(yDevice, staged, xDevice, x);
        yDevice.Axpby(y, alpha, staged, 1f);
    }
}
