// BatchSplitTests: the split function against an exhaustive search on small cases
// (optimal predicted time, sum == batch), proportional shares, zero for a device too
// slow to help, granularity, memory limits (and the error when nothing fits), devices
// that failed (excluded with a warning; none left is an error) and the ratio parser.
using Omnivore.Core;
using Omnivore.Scheduling;

namespace Omnivore.Tests.Scheduling;

[TestFixture]
public class BatchSplitTests
{
    private static SplitDevice D(string n, double t, int g = 1, long max = long.MaxValue, double o = 0) => new(n, t, g, max, o);

    [Test]
    public void ProportionalToThroughput()
    {
        var s = BatchSplit.Split(64, [D("a", 200), D("b", 100)]);
        Assert.That(s, Is.EqualTo(new[] { 43, 21 }));
        var s3 = BatchSplit.Split(90, [D("a", 300), D("b", 200), D("c", 100)]);
        Assert.That(s3, Is.EqualTo(new[] { 45, 30, 15 }));
    }

    [Test]
    public void MatchesExhaustiveSearch()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            int k = rng.Next(1, 4), batch = rng.Next(0, 14);
            var devs = Enumerable.Range(0, k).Select(i => D($"d{i}", 1 + rng.Next(1, 50) * 0.37, rng.Next(1, 4),
                rng.Next(4) == 0 ? rng.Next(0, 8) : long.MaxValue, rng.Next(3) == 0 ? rng.NextDouble() * 0.2 : 0)).ToArray();
            double best = Brute(batch, devs, 0, new int[k], out bool any);
            if (!any)
            {
                Assert.Throws<OmnivoreException>(() => BatchSplit.Split(batch, devs));
                continue;
            }
            var s = BatchSplit.Split(batch, devs);
            Assert.That(s.Sum(), Is.EqualTo(batch));
            for (int i = 0; i < k; i++) Assert.That(s[i], Is.InRange(0, Math.Min(devs[i].MaxImages, batch)));
            Assert.That(BatchSplit.Predict(devs, s), Is.EqualTo(best).Within(1e-9), $"trial {trial}: {string.Join(",", s)}");
        }
    }

    private static double Brute(int left, SplitDevice[] devs, int i, int[] shares, out bool any)
    {
        any = false;
        if (i == devs.Length - 1)
        {
            if (left > devs[i].MaxImages) return double.PositiveInfinity;
            shares[i] = left;
            any = true;
            return BatchSplit.Predict(devs, shares);
        }
        double best = double.PositiveInfinity;
        for (int n = 0; n <= Math.Min(left, devs[i].MaxImages); n++)
        {
            shares[i] = n;
            double t = Brute(left - n, devs, i + 1, shares, out bool ok);
            if (ok) { any = true; best = Math.Min(best, t); }
        }
        return best;
    }

    [Test]
    public void TooSlowDeviceGetsZero()
    {
        Assert.That(BatchSplit.Split(64, [D("fast", 1000), D("slow", 5)]), Is.EqualTo(new[] { 64, 0 }));
        // A fixed cost per iteration also keeps a device out when its share would not pay for it.
        Assert.That(BatchSplit.Split(8, [D("a", 100), D("b", 100, o: 1)]), Is.EqualTo(new[] { 8, 0 }));
    }

    [Test]
    public void GranularityIsRespectedWhenItCosts()
    {
        // Two partitions: 33 images cost as much as 34, so the split keeps multiples of 2.
        var s = BatchSplit.Split(64, [D("a", 100, g: 2), D("b", 100, g: 2)]);
        Assert.That(s, Is.EqualTo(new[] { 32, 32 }));
        var s2 = BatchSplit.Split(60, [D("a", 300, g: 8), D("b", 100)]);
        Assert.That(s2.Sum(), Is.EqualTo(60));
        Assert.That(s2[0] % 8, Is.EqualTo(0));
    }

    [Test]
    public void MemoryLimits()
    {
        Assert.That(BatchSplit.Split(64, [D("a", 1000, max: 10), D("b", 1)]), Is.EqualTo(new[] { 10, 54 }));
        var e = Assert.Throws<OmnivoreException>(() => BatchSplit.Split(64, [D("a", 1000, max: 10), D("b", 1, max: 20)]));
        Assert.That(e!.Message, Does.Contain("does not fit").And.Contain("at most 30"));
    }

    [Test]
    public void FailedDevicesAreExcludedWithAWarning()
    {
        var warnings = new List<string>();
        var s = BatchSplit.Split(10, [D("gpu0", double.NaN), D("cpu0", 50), D("cpu1", 0)], warnings.Add);
        Assert.That(s, Is.EqualTo(new[] { 0, 10, 0 }));
        Assert.That(warnings, Has.Count.EqualTo(2));
        Assert.That(warnings[0], Does.Contain("gpu0"));
        var e = Assert.Throws<OmnivoreException>(() => BatchSplit.Split(10, [D("gpu0", double.NaN), D("cpu0", 0)]));
        Assert.That(e!.Message, Does.Contain("no device is left"));
    }

    [Test]
    public void BadInputs()
    {
        Assert.Throws<OmnivoreException>(() => BatchSplit.Split(-1, [D("a", 1)]));
        Assert.Throws<OmnivoreException>(() => BatchSplit.Split(4, []));
        Assert.Throws<OmnivoreException>(() => BatchSplit.Split(4, [D("a", 1, g: 0)]));
        Assert.That(BatchSplit.Split(0, [D("a", 1), D("b", 2)]), Is.EqualTo(new[] { 0, 0 }));
    }

    [Test]
    public void RatioParser()
    {
        Assert.That(BatchSplit.ParseRatio("3:1", 2), Is.EqualTo(new[] { 3.0, 1.0 }));
        Assert.That(BatchSplit.ParseRatio("1.5 : 0", 2), Is.EqualTo(new[] { 1.5, 0.0 }));
        Assert.Throws<OmnivoreException>(() => BatchSplit.ParseRatio("3:1", 3));
        Assert.Throws<OmnivoreException>(() => BatchSplit.ParseRatio("3:x", 2));
        Assert.Throws<OmnivoreException>(() => BatchSplit.ParseRatio("0:0", 2));
        Assert.That(BatchSplit.Split(64, [D("a", 3), D("b", 1)]), Is.EqualTo(new[] { 48, 16 }));
    }
}
