// Tests for AdaDeltaSolver: Caffe's AdaDelta rule with momentum as the decay (h = m*h +
// (1-m)*g²; d = g*sqrt((u+delta)/(h+delta)); u = m*u + (1-m)*d²; update = lr*d) over three
// steps with lr_mult/decay_mult and L2 and L1 weight decay, against a reference written
// here; the .solverstate layout (2N history blobs: the N squared-gradient means, then the
// N squared-update means) and an exact continuation after restore.
using NUnit.Framework;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class AdaDeltaSolverTests
{
    private const string Fields = "base_lr: 0.5 lr_policy: \"fixed\" momentum: 0.95 delta: 1e-4 max_iter: 10 ";

    private static readonly SolverRuleHarness.Rule Rule = (double g, ref double h, ref double u, double lr, int iter) =>
    {
        double m = 0.95f, delta = 1e-4f;
        h = m * h + (1 - m) * g * g;
        double d = g * Math.Sqrt((u + delta) / (h + delta));
        u = m * u + (1 - m) * d * d;
        return lr * d;
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void ThreeStepsMatchTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("AdaDelta", Fields + $"weight_decay: 0.05 regularization_type: \"{regularization}\"");
        Assert.That(solver, Is.InstanceOf<AdaDeltaSolver>());
        Assert.That(solver.HistorySlots, Is.EqualTo(2));
        SolverRuleHarness.CheckThreeSteps(solver, Rule, _ => 0.5);
    }

    [Test]
    public void SnapshotHoldsTwoBlobsPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("AdaDelta", Fields + "weight_decay: 0.01", slots: 2, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
