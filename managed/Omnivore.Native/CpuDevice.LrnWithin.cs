// CpuDevice.LrnWithin: within-channel LRN on the host (native lrn_within.cpp).
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void LrnWithinForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                                 int n, int c, int h, int w, int size, float alpha, float beta) =>
        Check(om_lrn_within_fwd(F(top), F(scale), F(bottom), n, c, h, w, size, alpha, beta), "om_lrn_within_fwd");

    public void LrnWithinBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                                  DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta) =>
        Check(om_lrn_within_bwd(F(bottomDiff), F(topDiff), F(top), F(scale), F(bottom), n, c, h, w, size, alpha, beta),
            "om_lrn_within_bwd");
}
