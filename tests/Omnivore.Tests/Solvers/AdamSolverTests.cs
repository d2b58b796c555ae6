// Tests for AdamSolver: Caffe's Adam rule (m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g²;
// update = lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + delta), t = iter + 1) over three
// steps with lr_mult/decay_mult, L2 and L1 weight decay and a step learning-rate policy,
// against a reference written here; Caffe's defaults (momentum2 0.999, delta 1e-8); the
// .solverstate layout (2N history blobs: the N first moments, then the N second moments),
// an exact continuation after restore (t follows the restored iteration), and the
// rejection of a state whose history has the wrong number of blobs.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class AdamSolverTests
{
    private const string Fields = "base_lr: 0.01 lr_policy: \"step\" gamma: 0.5 stepsize: 2 momentum: 0.9 max_iter: 10 ";

    private static double Rate(int iter) => 0.01 * Math.Pow(0.5, iter / 2);

    private static readonly SolverRuleHarness.Rule Rule = (double g, ref double m, ref double v, double lr, int iter) =>
    {
        double b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        int t = iter + 1;
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g * g;
        double correction = Math.Sqrt(1 - Math.Pow(b2, t)) / (1 - Math.Pow(b1, t));
        return lr * correction * m / (Math.Sqrt(v) + eps);
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void ThreeStepsMatchTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("Adam", Fields + $"weight_decay: 0.05 regularization_type: \"{regularization}\"");
        Assert.That(solver, Is.InstanceOf<AdamSolver>());
        Assert.That(solver.Param.Momentum2, Is.EqualTo(0.999f), "Caffe's default beta2");
        Assert.That(solver.Param.Delta, Is.EqualTo(1e-8f), "Caffe's default epsilon");
        SolverRuleHarness.CheckThreeSteps(solver, Rule, Rate);
    }

    [Test]
    public void CorrectionFollowsTheIteration()
    {
        Assert.That(AdamSolver.Correction(0.9f, 0.999f, 0), Is.EqualTo(Math.Sqrt(1 - (double)0.999f) / (1 - (double)0.9f)).Within(1e-6));
        Assert.That(AdamSolver.Correction(0.9f, 0.999f, 9),
                    Is.EqualTo(Math.Sqrt(1 - Math.Pow(0.999f, 10)) / (1 - Math.Pow(0.9f, 10))).Within(1e-6));
    }

    [Test]
    public void SnapshotHoldsTwoBlobsPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("Adam", Fields + "momentum2: 0.99 weight_decay: 0.01", slots: 2, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void StateOfAOneSlotSolverIsRejected()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            var sgdState = SolverRuleHarness.CheckSnapshotRoundTrip("SGD", "base_lr: 0.1 lr_policy: \"fixed\" momentum: 0.9 max_iter: 10", 1, dir);
            using var adam = SolverRuleHarness.Create("Adam", Fields);
            var e = Assert.Throws<OmnivoreException>(() => adam.Restore(sgdState));
            Assert.That(e!.Message, Does.Contain(sgdState).And.Contain("2 history blobs").And.Contain("needs 4"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
