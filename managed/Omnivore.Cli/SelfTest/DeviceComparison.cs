// DeviceComparison: runs the same work on two devices (the CPU, the reference, and a GPU)
// from the same inputs and measures how far apart the results are. One check's error is
// the largest |gpu - cpu| / (1 + |cpu|) over every value it compares (NaN only matches NaN),
// against a stated tolerance. Used by `omnivore selftest gpu` and the NUnit GPU tests.
using Omnivore.Core;

namespace Omnivore.Cli.SelfTest;

/// <summary>One check's outcome: the worst error, where it was, and the tolerance.</summary>
public sealed record CheckResult(string Name, double MaxError, double Tolerance, string Where, string? Failure = null)
{
    public bool Pass => Failure is null && MaxError <= Tolerance;

    public override string ToString() =>
        $"{(Pass ? "PASS" : "FAIL")} {Name}: max error {MaxError:G3} (tolerance {Tolerance:G3}){(Where.Length > 0 ? $" at {Where}" : "")}" +
        (Failure is null ? "" : $": {Failure}");
}

/// <summary>Accumulates the worst error of one check.</summary>
public sealed class ErrorTally
{
    public double Max { get; private set; }
    public string Where { get; private set; } = "";

    public void Compare(string what, float[] gpu, float[] cpu)
    {
        if (gpu.Length != cpu.Length)
        {
            Add(double.PositiveInfinity, $"{what} (length {gpu.Length} vs {cpu.Length})");
            return;
        }
        for (int i = 0; i < gpu.Length; i++)
        {
            double g = gpu[i], c = cpu[i];
            double e = double.IsNaN(g) || double.IsNaN(c) ? (double.IsNaN(g) && double.IsNaN(c) ? 0 : double.PositiveInfinity)
                : Math.Abs(g - c) / (1 + Math.Abs(c));
            if (e > Max) Add(e, $"{what}[{i}] gpu {g:G9} cpu {c:G9}");
        }
    }

    public void Compare(string what, double gpu, double cpu) => Compare(what, [(float)gpu], [(float)cpu]);

    private void Add(double e, string where)
    {
        if (e <= Max && Where.Length > 0) return;
        Max = e;
        Where = where;
    }
}

public static class Inputs
{
    /// <summary>Seeded uniform values in [min, max).</summary>
    public static float[] Uniform(long count, int seed, float min = -1, float max = 1)
    {
        var rng = new Rng(seed);
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = rng.Uniform(min, max);
        return v;
    }

    /// <summary>Seeded integers in [0, classes) as floats (labels), or small integers (ties).</summary>
    public static float[] Integers(long count, int seed, int classes)
    {
        var rng = new Rng(seed);
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = rng.Next(classes);
        return v;
    }

    public static DeviceBuffer Put(IDevice d, float[] values)
    {
        var b = d.Allocate(values.Length);
        d.Upload(b, values);
        return b;
    }

    public static float[] Get(IDevice d, DeviceBuffer b)
    {
        var v = new float[b.Length];
        d.Download(v, b);
        return v;
    }
}
