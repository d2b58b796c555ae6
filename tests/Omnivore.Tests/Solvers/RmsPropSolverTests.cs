// Tests for RmsPropSolver: Caffe's RMSProp rule (h = d*h + (1-d)*g²; update = lr * g /
// (sqrt(h) + delta)) over three steps with lr_mult/decay_mult and L2 and L1 weight decay,
// against a reference written here; Caffe's refusal of momentum and of rms_decay outside
// [0, 1); the .solverstate layout (one history blob per parameter) and an exact
// continuation after restore.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class RmsPropSolverTests
{
    private const string Fields = "base_lr: 0.01 lr_policy: \"fixed\" rms_decay: 0.9 delta: 1e-4 max_iter: 10 ";

    private static readonly SolverRuleHarness.Rule Rule = (double g, ref double h, ref double _, double lr, int iter) =>
    {
        double decay = 0.9f;
        h = decay * h + (1 - decay) * g * g;
        return lr * g / (Math.Sqrt(h) + (double)1e-4f);
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void ThreeStepsMatchTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("RMSProp", Fields + $"weight_decay: 0.05 regularization_type: \"{regularization}\"");
        Assert.That(solver, Is.InstanceOf<RmsPropSolver>());
        SolverRuleHarness.CheckThreeSteps(solver, Rule, _ => 0.01);
    }

    [Test]
    public void MomentumIsRefusedAsInCaffe()
    {
        var e = Assert.Throws<OmnivoreException>(() => SolverRuleHarness.Create("RMSProp", Fields + "momentum: 0.5"));
        Assert.That(e!.Message, Does.Contain("momentum").And.Contain("RMSProp"));
    }

    [TestCase("1")]
    [TestCase("-0.1")]
    public void RmsDecayOutsideZeroToOneIsRefused(string decay)
    {
        var e = Assert.Throws<OmnivoreException>(() =>
            SolverRuleHarness.Create("RMSProp", $"base_lr: 0.01 lr_policy: \"fixed\" rms_decay: {decay} max_iter: 10"));
        Assert.That(e!.Message, Does.Contain("rms_decay"));
    }

    [Test]
    public void SnapshotHoldsOneBlobPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("RMSProp", Fields + "weight_decay: 0.01", slots: 1, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
