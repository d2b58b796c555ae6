// SolverWeights: the parameter arena of a solver's net as host floats, and the check that
// two runs trained alike: the largest weight difference within a relative tolerance of
// the largest weight, the smoothed losses within the same tolerance, and the weights moved
// from where a fresh solver starts (so the comparison compares something).
using Omnivore.Solvers;

namespace Omnivore.Tests.Support;

public static class SolverWeights
{
    public static float[] Data(Solver s)
    {
        var v = new float[s.Net.Arena.Count];
        s.Net.Device.Download(v, s.Net.Arena.Data);
        return v;
    }

    public static void AssertTrainedAlike(Solver expected, Solver actual, Solver fresh, double relTol)
    {
        var a = Data(expected);
        var b = Data(actual);
        double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), scale = a.Max(Math.Abs);
        Assert.That(diff, Is.LessThan(relTol * scale), $"max |diff| {diff} (largest weight {scale})");
        Assert.That(actual.SmoothedLoss, Is.EqualTo(expected.SmoothedLoss).Within(relTol * (1 + Math.Abs(expected.SmoothedLoss))));
        Assert.That(Data(fresh).Zip(a, (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3), "training moved the weights");
    }
}
