// RandomFillTests: the device's counter-based random fills through IDevice: repeatable per
// seed and different across seeds, uniform within [min, max) with the right mean, gaussian
// with the right mean and variance, Bernoulli with the right rate and values; and
// Rng.NextSeed repeatable for a run seed.
using Omnivore.Core;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Core;

[TestFixture]
public class RandomFillTests
{
    private static IDevice Device => CpuFixture.Device;

    private static float[] Fill(int count, Action<DeviceBuffer> fill)
    {
        using var blob = new Blob(Device, "r", count);
        fill(blob.Data);
        return blob.DownloadData();
    }

    [Test]
    public void SameSeedSameValuesOtherSeedOtherValues()
    {
        const int n = 10001;
        Assert.That(Fill(n, b => Device.FillGaussian(b, 0, 1, 5)), Is.EqualTo(Fill(n, b => Device.FillGaussian(b, 0, 1, 5))));
        Assert.That(Fill(n, b => Device.FillUniform(b, 0, 1, 5)), Is.EqualTo(Fill(n, b => Device.FillUniform(b, 0, 1, 5))));
        Assert.That(Fill(n, b => Device.FillBernoulli(b, 0.5f, 1, 5)), Is.EqualTo(Fill(n, b => Device.FillBernoulli(b, 0.5f, 1, 5))));
        var a = Fill(n, b => Device.FillGaussian(b, 0, 1, 5));
        var c = Fill(n, b => Device.FillGaussian(b, 0, 1, 6));
        Assert.That(a.Zip(c).Count(p => p.First == p.Second), Is.LessThan(5));
    }

    [Test]
    public void GaussianMeanAndVariance()
    {
        const int n = 400000;
        var v = Fill(n, b => Device.FillGaussian(b, 2f, 3f, 123));
        double mean = v.Average(x => (double)x);
        double variance = v.Average(x => (x - mean) * (x - mean));
        Assert.That(mean, Is.EqualTo(2.0).Within(5 * 3 / Math.Sqrt(n)));
        Assert.That(variance, Is.EqualTo(9.0).Within(9.0 * 5 * Math.Sqrt(2.0 / n)));
        double within1 = v.Count(x => Math.Abs(x - 2f) < 3f) / (double)n;
        Assert.That(within1, Is.EqualTo(0.6827).Within(0.005));
    }

    [Test]
    public void UniformRangeAndMean()
    {
        const int n = 200000;
        var v = Fill(n, b => Device.FillUniform(b, -1f, 3f, 9));
        Assert.That(v.Min(), Is.GreaterThanOrEqualTo(-1f));
        Assert.That(v.Max(), Is.LessThanOrEqualTo(3f));
        Assert.That(v.Average(x => (double)x), Is.EqualTo(1.0).Within(5 * 4 / Math.Sqrt(12.0 * n)));
    }

    [TestCase(0.1f)]
    [TestCase(0.5f)]
    [TestCase(0.75f)]
    public void BernoulliRateAndValues(float p)
    {
        const int n = 200000;
        var v = Fill(n, b => Device.FillBernoulli(b, p, 4f, 77));
        Assert.That(v.All(x => x == 0f || x == 4f), Is.True, "values are 0 or the given value");
        double rate = v.Count(x => x == 4f) / (double)n;
        Assert.That(rate, Is.EqualTo(p).Within(5 * Math.Sqrt(p * (1 - p) / n)));
    }

    [Test]
    public void NextSeedIsRepeatableForARunSeed()
    {
        var a = new Rng(42);
        var b = new Rng(42);
        var seeds = Enumerable.Range(0, 5).Select(_ => a.NextSeed()).ToArray();
        Assert.That(Enumerable.Range(0, 5).Select(_ => b.NextSeed()), Is.EqualTo(seeds));
        Assert.That(seeds.Distinct().Count(), Is.EqualTo(5));
    }
}
