// Tests for AdaGradSolver: Caffe's AdaGrad rule (h += g²; update = lr * g / (sqrt(h) +
// delta)) over three steps with lr_mult/decay_mult and L2 and L1 weight decay, against a
// reference written here; Caffe's refusal of momentum; the .solverstate layout (one
// history blob per parameter) and an exact continuation after restore.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class AdaGradSolverTests
{
    private const string Fields = "base_lr: 0.05 lr_policy: \"fixed\" delta: 1e-3 max_iter: 10 ";

    private static readonly SolverRuleHarness.Rule Rule = (double g, ref double h, ref double _, double lr, int iter) =>
    {
        h += g * g;
        return lr * g / (Math.Sqrt(h) + (double)1e-3f);
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void ThreeStepsMatchTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("AdaGrad", Fields + $"weight_decay: 0.05 regularization_type: \"{regularization}\"");
        Assert.That(solver, Is.InstanceOf<AdaGradSolver>());
        SolverRuleHarness.CheckThreeSteps(solver, Rule, _ => 0.05);
    }

    [Test]
    public void DefaultDeltaIsCaffes()
    {
        using var solver = SolverRuleHarness.Create("AdaGrad", "base_lr: 0.05 lr_policy: \"fixed\" max_iter: 10");
        Assert.That(solver.Param.Delta, Is.EqualTo(1e-8f));
        SolverRuleHarness.CheckThreeSteps(solver, (double g, ref double h, ref double _, double lr, int iter) =>
        {
            h += g * g;
            return lr * g / (Math.Sqrt(h) + (double)1e-8f);
        }, _ => 0.05);
    }

    [Test]
    public void MomentumIsRefusedAsInCaffe()
    {
        var e = Assert.Throws<OmnivoreException>(() => SolverRuleHarness.Create("AdaGrad", Fields + "momentum: 0.9"));
        Assert.That(e!.Message, Does.Contain("momentum").And.Contain("AdaGrad"));
    }

    [Test]
    public void SnapshotHoldsOneBlobPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("AdaGrad", Fields + "weight_decay: 0.01", slots: 1, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
