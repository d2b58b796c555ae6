// CpuDevice.Random: the counter-based random fills on the host, one native call each.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void FillUniform(DeviceBuffer y, float min, float max, ulong seed) =>
        Check(om_rng_uniform(F(y), y.Length, min, max, seed), "om_rng_uniform");

    public void FillGaussian(DeviceBuffer y, float mean, float std, ulong seed) =>
        Check(om_rng_gaussian(F(y), y.Length, mean, std, seed), "om_rng_gaussian");

    public void FillBernoulli(DeviceBuffer y, float p, float value, ulong seed) =>
        Check(om_rng_bernoulli(F(y), y.Length, p, value, seed), "om_rng_bernoulli");
}
