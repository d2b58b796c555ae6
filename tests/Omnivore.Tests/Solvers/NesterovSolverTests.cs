// Tests for NesterovSolver: Caffe's Nesterov rule (h' = m*h + lr*g; update =
// (1+m)*h' - m*h) over three steps with lr_mult/decay_mult, L2 and L1 weight decay and a
// step learning-rate policy, against a reference written here; the .solverstate layout
// (one history blob per parameter) and an exact continuation after restore.
using NUnit.Framework;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class NesterovSolverTests
{
    private const string Fields = "base_lr: 0.1 lr_policy: \"step\" gamma: 0.5 stepsize: 2 momentum: 0.9 max_iter: 10 ";

    private static double Rate(int iter) => 0.1 * Math.Pow(0.5, iter / 2);

    private static readonly SolverRuleHarness.Rule Rule = (double g, ref double h, ref double _, double lr, int iter) =>
    {
        const double m = 0.9;
        double old = h;
        h = m * h + lr * g;
        return (1 + m) * h - m * old;
    };

    [TestCase("L2")]
    [TestCase("L1")]
    public void ThreeStepsMatchTheReference(string regularization)
    {
        using var solver = SolverRuleHarness.Create("Nesterov", Fields + $"weight_decay: 0.05 regularization_type: \"{regularization}\"");
        Assert.That(solver, Is.InstanceOf<NesterovSolver>());
        SolverRuleHarness.CheckThreeSteps(solver, Rule, Rate);
    }

    [Test]
    public void DiffersFromPlainMomentum()
    {
        using var nesterov = SolverRuleHarness.Create("Nesterov", Fields);
        using var sgd = SolverRuleHarness.Create("SGD", Fields);
        nesterov.Step(2);
        sgd.Step(2);
        Assert.That(nesterov.Net.Layer("ip").Params[0].DownloadData(),
                    Is.Not.EqualTo(sgd.Net.Layer("ip").Params[0].DownloadData()).Within(1e-4));
    }

    [Test]
    public void SnapshotHoldsOneBlobPerParameterAndRestoresExactly()
    {
        var dir = SolverRuleHarness.TempDir();
        try
        {
            SolverRuleHarness.CheckSnapshotRoundTrip("Nesterov", Fields + "weight_decay: 0.01", slots: 1, dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
