// Rng: the one seeded random source of a training run (fillers, data shuffling, crops,
// mirrors, dropout; and the seeds of device-side random fills). Seeded from the solver's
// random_seed, so a run is repeatable. The generator is Knuth's subtractive generator
// (55 words), the algorithm behind a seeded System.Random, written out here so that its
// state can be saved in a .solverstate and restored for an exact resume; it draws the
// same numbers a seeded System.Random would (a test checks this), so runs are unchanged.
using Omnivore.Model.Caffe;

namespace Omnivore.Core;

public sealed class Rng
{
    private const int Words = 56; // index 0 unused, as in the classic formulation
    private const int Mseed = 161803398;
    private readonly int[] _words = new int[Words];
    private int _next, _nextP;
    private double? _spare;

    public Rng(long seed)
    {
        int s = unchecked((int)(seed ^ (seed >> 32)));
        int mj = Mseed - (s == int.MinValue ? int.MaxValue : Math.Abs(s));
        _words[55] = mj;
        int mk = 1, ii = 0;
        for (int i = 1; i < 55; i++)
        {
            ii += 21;
            if (ii >= 55) ii -= 55;
            _words[ii] = mk;
            mk = mj - mk;
            if (mk < 0) mk += int.MaxValue;
            mj = _words[ii];
        }
        for (int round = 1; round < 5; round++)
            for (int i = 1; i < Words; i++)
            {
                int n = i + 30;
                if (n >= 55) n -= 55;
                _words[i] -= _words[1 + n];
                if (_words[i] < 0) _words[i] += int.MaxValue;
            }
        _next = 0;
        _nextP = 21;
    }

    /// <summary>A seed from the clock, as Caffe does when random_seed is negative.</summary>
    public static long ClockSeed() => DateTime.UtcNow.Ticks ^ Environment.ProcessId;

    /// <summary>The next raw word in [0, int.MaxValue).</summary>
    private int Word()
    {
        if (++_next >= Words) _next = 1;
        if (++_nextP >= Words) _nextP = 1;
        int r = _words[_next] - _words[_nextP];
        if (r == int.MaxValue) r--;
        if (r < 0) r += int.MaxValue;
        _words[_next] = r;
        return r;
    }

    private double Sample() => Word() * (1.0 / int.MaxValue);

    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxExclusive);
        return (int)(Sample() * maxExclusive);
    }

    public double NextDouble() => Sample();

    public float Uniform(float min, float max) => (float)(min + (max - min) * Sample());

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
            u = 2 * Sample() - 1;
            v = 2 * Sample() - 1;
            r = u * u + v * v;
        } while (r >= 1 || r == 0);
        var f = Math.Sqrt(-2 * Math.Log(r) / r);
        _spare = v * f;
        return (float)(mean + std * u * f);
    }

    public bool Bernoulli(double p) => Sample() < p;

    /// <summary>A non-negative 63-bit value (as System.Random.NextInt64()).</summary>
    private long NextInt64()
    {
        while (true)
        {
            ulong bits = (ulong)(uint)Next(1 << 22) | ((ulong)(uint)Next(1 << 22) << 22) | ((ulong)(uint)Next(1 << 20) << 44);
            ulong result = bits >> 1;
            if (result != long.MaxValue) return (long)result;
        }
    }

    /// <summary>A 64-bit seed for one counter-based device fill (IDevice.FillGaussian, ...).</summary>
    public ulong NextSeed() => (ulong)NextInt64();

    /// <summary>A new independent generator seeded from this one (for a worker thread).</summary>
    public Rng Fork() => new(((long)Word() << 31) ^ Word());

    /// <summary>The generator's whole state (for a .solverstate).</summary>
    public OmnivoreRngState Save()
    {
        var s = new OmnivoreRngState { Next = _next, NextP = _nextP };
        s.Words.AddRange(_words);
        if (_spare is double d) s.SpareGaussian = d;
        return s;
    }

    /// <summary>Continues from a saved state.</summary>
    public void Restore(OmnivoreRngState s)
    {
        if (s.Words.Count != Words || s.Next is < 0 or >= Words || s.NextP is < 0 or >= Words)
            throw new OmnivoreException($"saved random generator state is malformed ({s.Words.Count} words, expected {Words})");
        s.Words.CopyTo(_words, 0);
        _next = s.Next;
        _nextP = s.NextP;
        _spare = s.HasSpareGaussian ? s.SpareGaussian : null;
    }
}
