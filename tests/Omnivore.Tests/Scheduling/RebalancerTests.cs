// RebalancerTests: online rebalancing from measured step times: noise of a few percent
// never changes the split (hysteresis), a device that really slows down loses share
// after a few steps, alternating measurements and occasional stalls do not make the
// split oscillate; and the
// --devices parser.
using Omnivore.Core;
using Omnivore.Scheduling;

namespace Omnivore.Tests.Scheduling;

[TestFixture]
public class RebalancerTests
{
    private static double[] Seconds(int[] shares, double[] rates) => shares.Select((n, i) => n / rates[i]).ToArray();

    [Test]
    public void NoiseDoesNotMoveTheSplit()
    {
        var r = new Rebalancer([new SplitDevice("a", 200), new SplitDevice("b", 100)]);
        int[] shares = [43, 21];
        var rng = new Random(1);
        for (int step = 0; step < 200; step++)
        {
            var rates = new[] { 200 * (1 + 0.03 * (rng.NextDouble() * 2 - 1)), 100 * (1 + 0.03 * (rng.NextDouble() * 2 - 1)) };
            Assert.That(r.Observe(shares, Seconds(shares, rates)), Is.Null, $"step {step}");
        }
    }

    [Test]
    public void OccasionalStallsDoNotMoveTheSplit()
    {
        var r = new Rebalancer([new SplitDevice("a", 200), new SplitDevice("b", 100)]);
        int[] shares = [43, 21];
        for (int step = 0; step < 200; step++)
        {
            // Every 15th step one device is descheduled for a while (5x its time).
            var rates = new double[] { 200, 100 };
            if (step % 15 == 7) rates[step / 15 % 2] /= 5;
            Assert.That(r.Observe(shares, Seconds(shares, rates)), Is.Null, $"step {step}");
        }
    }

    [Test]
    public void FollowsARealChangeWithoutOscillating()
    {
        var r = new Rebalancer([new SplitDevice("a", 200), new SplitDevice("b", 100)]);
        int[] shares = [43, 21];
        int changes = 0;
        for (int step = 0; step < 60; step++)
        {
            // b becomes as fast as a; then measurements alternate +-4% around that.
            double wobble = step % 2 == 0 ? 1.04 : 0.96;
            var next = r.Observe(shares, Seconds(shares, [200, 200 * wobble]));
            if (next is null) continue;
            Assert.That(next.Sum(), Is.EqualTo(64));
            shares = next;
            changes++;
        }
        Assert.That(shares[0], Is.InRange(29, 35));
        Assert.That(changes, Is.InRange(1, 4));
    }

    [Test]
    public void HeavyNoiseRaisesTheThreshold()
    {
        var r = new Rebalancer([new SplitDevice("a", 200), new SplitDevice("b", 100)]);
        int[] shares = [43, 21];
        var rng = new Random(4);
        int changes = 0;
        for (int step = 0; step < 300; step++)
        {
            // +-40% uniform noise on every step of both devices (a machine shared with other jobs).
            var rates = new[] { 200 * (1 + 0.4 * (rng.NextDouble() * 2 - 1)), 100 * (1 + 0.4 * (rng.NextDouble() * 2 - 1)) };
            if (r.Observe(shares, Seconds(shares, rates)) is { } next) { shares = next; changes++; }
        }
        Assert.That(r.Threshold(shares), Is.GreaterThan(0.05));
        Assert.That(changes, Is.LessThanOrEqualTo(3));
    }

    [Test]
    public void ZeroShareKeepsItsEstimate()
    {
        var r = new Rebalancer([new SplitDevice("a", 200), new SplitDevice("b", 1)]);
        for (int i = 0; i < 5; i++) Assert.That(r.Observe([64, 0], [0.32, 0]), Is.Null);
        Assert.That(r.Devices[1].ImagesPerSecond, Is.EqualTo(1));
    }

    [Test]
    public void DeviceSpecs()
    {
        var list = DeviceSpec.ParseList("cpu:threads=1, cpu:threads=1:slowdown=2,gpu", cores: 2);
        Assert.That(list, Has.Count.EqualTo(3));
        Assert.That(list[0], Is.EqualTo(new DeviceSpec("cpu", 0, 1, 1, 1, "cpu:threads=1")));
        Assert.That(list[1].Slowdown, Is.EqualTo(2));
        Assert.That(list[1].Label, Is.EqualTo("cpu1"));
        Assert.That(list[2].Label, Is.EqualTo("gpu0"));
        Assert.That(DeviceSpec.ParseList("cpu,cpu", cores: 8)[0].Threads, Is.EqualTo(4));
        Assert.That(DeviceSpec.ParseList("cpu:threads=4:granularity=2", 8)[0].Granularity, Is.EqualTo(2));
        Assert.Throws<OmnivoreException>(() => DeviceSpec.ParseList("tpu", 2));
        Assert.Throws<OmnivoreException>(() => DeviceSpec.ParseList("cpu:threads=0", 2));
        Assert.Throws<OmnivoreException>(() => DeviceSpec.ParseList("cpu:slowdown=0.5", 2));
        Assert.Throws<OmnivoreException>(() => DeviceSpec.ParseList("cpu:speed=2", 2));
        Assert.Throws<OmnivoreException>(() => DeviceSpec.ParseList("", 2));
    }
}
