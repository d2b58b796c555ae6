// Tests for LearningRatePolicy: every Caffe lr_policy (fixed, step, exp, inv, multistep,
// poly, sigmoid) against values computed by hand from Caffe's formulas at several
// iterations, multistep's current_step progression (and resuming from a saved step), and
// the errors for an unknown or incomplete policy.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class LearningRatePolicyTests
{
    private static LearningRatePolicy Policy(string text) =>
        new(TextFormat.Parse<SolverParameter>(text, "solver.prototxt"));

    private static void AssertRate(LearningRatePolicy p, int iter, double expected) =>
        Assert.That(p.Rate(iter), Is.EqualTo(expected).Within(Math.Abs(expected) * 1e-5 + 1e-12), $"iteration {iter}");

    [Test]
    public void Fixed()
    {
        var p = Policy("lr_policy: \"fixed\" base_lr: 0.05 gamma: 0.5 stepsize: 2");
        foreach (var iter in new[] { 0, 1, 100, 1_000_000 }) AssertRate(p, iter, 0.05);
    }

    [Test]
    public void Step()
    {
        var p = Policy("lr_policy: \"step\" base_lr: 0.1 gamma: 0.5 stepsize: 10");
        AssertRate(p, 0, 0.1);
        AssertRate(p, 9, 0.1);
        AssertRate(p, 10, 0.05);
        AssertRate(p, 19, 0.05);
        AssertRate(p, 35, 0.0125);
        Assert.That(p.CurrentStep, Is.EqualTo(3));
    }

    [Test]
    public void Exp()
    {
        var p = Policy("lr_policy: \"exp\" base_lr: 0.01 gamma: 0.99");
        AssertRate(p, 0, 0.01);
        AssertRate(p, 1, 0.0099);
        AssertRate(p, 2, 0.009801);
        AssertRate(p, 100, 0.01 * 0.36603234127322950);
    }

    [Test]
    public void InvWithCaffeLeNetNumbers()
    {
        // examples/mnist/lenet_solver.prototxt: base_lr 0.01, gamma 1e-4, power 0.75.
        var p = Policy("lr_policy: \"inv\" base_lr: 0.01 gamma: 0.0001 power: 0.75");
        AssertRate(p, 0, 0.01);
        AssertRate(p, 100, 0.0099256503);                 // 0.01 * 1.01^-0.75
        AssertRate(p, 1000, 0.0093101244);                // 0.01 * 1.1^-0.75
        AssertRate(p, 10000, 0.0059460356);               // 0.01 * 2^-0.75
        Assert.That(p.Rate(100), Is.EqualTo(0.00992565).Within(1e-8));
    }

    [Test]
    public void MultistepAdvancesOneStepPerStepValue()
    {
        var p = Policy("lr_policy: \"multistep\" base_lr: 1 gamma: 0.1 stepvalue: 3 stepvalue: 5 stepvalue: 8");
        double[] expected = [1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001, 0.001];
        int[] steps = [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 3];
        for (int iter = 0; iter < expected.Length; iter++)
        {
            AssertRate(p, iter, expected[iter]);
            Assert.That(p.CurrentStep, Is.EqualTo(steps[iter]), $"current step at iteration {iter}");
        }
        AssertRate(p, 1000, 0.001);
        Assert.That(p.CurrentStep, Is.EqualTo(3), "no step beyond the last stepvalue");
    }

    [Test]
    public void MultistepResumesFromTheSavedStep()
    {
        // After a restore Caffe sets current_step from the .solverstate and keeps counting.
        var p = Policy("lr_policy: \"multistep\" base_lr: 1 gamma: 0.5 stepvalue: 3 stepvalue: 5");
        p.CurrentStep = 1;
        AssertRate(p, 4, 0.5);
        AssertRate(p, 5, 0.25);
        Assert.That(p.CurrentStep, Is.EqualTo(2));
    }

    [Test]
    public void Poly()
    {
        var p = Policy("lr_policy: \"poly\" base_lr: 0.2 power: 2 max_iter: 100");
        AssertRate(p, 0, 0.2);
        AssertRate(p, 50, 0.05);
        AssertRate(p, 90, 0.002);
        AssertRate(p, 100, 0);
        var linear = Policy("lr_policy: \"poly\" base_lr: 0.2 power: 1 max_iter: 100");
        AssertRate(linear, 25, 0.15);
    }

    [Test]
    public void Sigmoid()
    {
        var p = Policy("lr_policy: \"sigmoid\" base_lr: 0.1 gamma: -0.1 stepsize: 50");
        AssertRate(p, 50, 0.05);
        AssertRate(p, 0, 0.1 / (1 + Math.Exp(-5)));            // 0.0993307
        AssertRate(p, 60, 0.1 / (1 + Math.Exp(1)));             // 0.0268941
        AssertRate(p, 100, 0.1 / (1 + Math.Exp(5)));            // 0.000669285
        Assert.That(p.Rate(60), Is.EqualTo(0.0268941421).Within(1e-9));
    }

    [Test]
    public void UnknownPolicyNamesItAndTheKnownOnes()
    {
        var e = Assert.Throws<OmnivoreException>(() => Policy("lr_policy: \"cosine\" base_lr: 0.1"));
        Assert.That(e!.Message, Does.Contain("'cosine'").And.Contain("multistep").And.Contain("sigmoid"));
    }

    [Test]
    public void MissingPolicyIsAnError()
    {
        Assert.Throws<OmnivoreException>(() => Policy("base_lr: 0.1"));
    }

    [Test]
    public void StepNeedsAStepsizeAndPolyAMaxIter()
    {
        Assert.That(Assert.Throws<OmnivoreException>(() => Policy("lr_policy: \"step\" base_lr: 0.1 gamma: 0.1"))!.Message,
                    Does.Contain("stepsize"));
        Assert.That(Assert.Throws<OmnivoreException>(() => Policy("lr_policy: \"poly\" base_lr: 0.1 power: 1"))!.Message,
                    Does.Contain("max_iter"));
    }

    [Test]
    public void StepValuesMustIncrease()
    {
        Assert.Throws<OmnivoreException>(() => Policy("lr_policy: \"multistep\" base_lr: 1 gamma: 0.1 stepvalue: 5 stepvalue: 3"));
    }
}
