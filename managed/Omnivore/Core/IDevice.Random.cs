// IDevice.Random: counter-based random fills on the device. Each value is a function of
// (seed, index) only, so a fill is repeatable for a seed whatever the thread count;
// callers take a fresh seed from the run's Rng (Rng.NextSeed) for every fill.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>y[i] uniform in [min, max).</summary>
    void FillUniform(DeviceBuffer y, float min, float max, ulong seed);

    /// <summary>y[i] normal with the given mean and standard deviation.</summary>
    void FillGaussian(DeviceBuffer y, float mean, float std, ulong seed);

    /// <summary>y[i] = value with probability p, else 0 (a dropout mask).</summary>
    void FillBernoulli(DeviceBuffer y, float p, float value, ulong seed);
}
