// Rng: the one seeded random source of a training run (fillers, data shuffling, crops,
// mirrors, dropout; and the seeds of device-side random fills). Seeded from the solver's random_seed, so a run is repeatable.
namespace Omnivore.Core;

public sealed class Rng
{
    private readonly Random _random;
    private double? _spare;

    public Rng(long seed)
    {
        _random = new Random(unchecked((int)(seed ^ (seed >> 32))));
    }

    /// <summary>A seed from the clock, as Caffe does when random_seed is negative.</summary>
    public static long ClockSeed() => DateTime.UtcNow.Ticks ^ Environment.ProcessId;

    public int Next(int maxExclusive) => _random.Next(maxExclusive);

    public double NextDouble() => _random.NextDouble();

    public float Uniform(float min, float max) => (float)(min + (max - min) * _random.NextDouble());

    /// <summary>Normal deviate by the polar Box–Muller method.</summary>
    public float Gaussian(float mean, float std)
    {
        if (_spare is double s)
        {
            _spare = null;
            return (float)(mean + std * s);
        }
        double u, v, r;
        do
        {
            u = 2 * _random.NextDouble() - 1;
            v = 2 * _random.NextDouble() - 1;
            r = u * u + v * v;
        } while (r >= 1 || r == 0);
        var f = Math.Sqrt(-2 * Math.Log(r) / r);
        _spare = v * f;
        return (float)(mean + std * u * f);
    }

    public bool Bernoulli(double p) => _random.NextDouble() < p;

    /// <summary>A 64-bit seed for one counter-based device fill (IDevice.FillGaussian, ...).</summary>
    public ulong NextSeed() => (ulong)_random.NextInt64();

    /// <summary>A new independent generator seeded from this one (for a worker thread).</summary>
    public Rng Fork() => new(((long)_random.Next() << 31) ^ _random.Next());
}
