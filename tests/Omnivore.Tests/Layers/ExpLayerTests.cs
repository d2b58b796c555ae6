// ExpLayerTests: Exp forward against base^(shift + scale*x) (base -1 meaning e) and
// backward against ln(base)*scale*y, for the defaults and other bases, scales and
// shifts; in place; gradient checks; invalid bases rejected.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ExpLayerTests
{
    private static string Text(float b, float scale, float shift) =>
        $"name: 'e' type: 'Exp' exp_param {{ base: {NeuronLayerChecks.F(b)} " +
        $"scale: {NeuronLayerChecks.F(scale)} shift: {NeuronLayerChecks.F(shift)} }}";

    private static readonly object[] Cases =
    [
        new object[] { -1f, 1f, 0f },
        new object[] { 2f, 0.5f, 1.5f },
        new object[] { -1f, 0.7f, -0.4f },
        new object[] { 10f, -0.3f, 0.2f },
        new object[] { 0.5f, 1f, 0f },
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchFormula(float b, float scale, float shift)
    {
        double lnBase = b == -1 ? 1 : Math.Log(b);
        NeuronLayerChecks.ForwardBackward(Text(b, scale, shift),
            x => Math.Exp(lnBase * (shift + scale * x)),
            x => lnBase * scale * Math.Exp(lnBase * (shift + scale * x)), -2, 2, 351, 1e-5f);
    }

    [Test]
    public void DefaultsAreNaturalExp() =>
        NeuronLayerChecks.ForwardBackward("name: 'e' type: 'Exp'", Math.Exp, Math.Exp, -3, 3, 352, 1e-6f);

    [TestCaseSource(nameof(Cases))]
    public void InPlaceMatchesOutOfPlace(float b, float scale, float shift) =>
        NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text(b, scale, shift), -2, 2, 353);

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(float b, float scale, float shift) =>
        NeuronLayerChecks.GradientCheck(Text(b, scale, shift), -1, 1, 354, step: 1e-3f);

    [TestCase(0f)]
    [TestCase(-2f)]
    public void NonPositiveBaseIsAnError(float b)
    {
        var e = Assert.Throws<OmnivoreException>(() => SetUp(Text(b, 1, 0), [NewBlob("x", 2)], [NewBlob("y")]));
        Assert.That(e!.Message, Does.Contain("'e'").And.Contain("base"));
    }
}
