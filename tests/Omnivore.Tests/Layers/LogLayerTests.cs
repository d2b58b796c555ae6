// LogLayerTests: Log forward against log_base(shift + scale*x) (base -1 meaning e) and
// backward against scale / (ln(base) * (shift + scale*x)); in place (keeps a copy of the
// input); gradient checks; base 1 and non-positive bases rejected.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class LogLayerTests
{
    private static string Text(float b, float scale, float shift) =>
        $"name: 'l' type: 'Log' log_param {{ base: {NeuronLayerChecks.F(b)} " +
        $"scale: {NeuronLayerChecks.F(scale)} shift: {NeuronLayerChecks.F(shift)} }}";

    // Inputs in [0.1, 3): every case keeps shift + scale*x > 0.
    private static readonly object[] Cases =
    [
        new object[] { -1f, 1f, 0f },
        new object[] { 2f, 0.5f, 1.1f },
        new object[] { 10f, 2f, 0.1f },
        new object[] { -1f, -0.2f, 1f },
        new object[] { 0.5f, 1f, 0.5f },
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchFormula(float b, float scale, float shift)
    {
        double lnBase = b == -1 ? 1 : Math.Log(b);
        NeuronLayerChecks.ForwardBackward(Text(b, scale, shift),
            x => Math.Log(shift + scale * x) / lnBase,
            x => scale / (lnBase * (shift + scale * x)), 0.1f, 3f, 361, 1e-5f);
    }

    [Test]
    public void DefaultsAreNaturalLog() =>
        NeuronLayerChecks.ForwardBackward("name: 'l' type: 'Log'", Math.Log, x => 1 / x, 0.1f, 5f, 362, 1e-6f);

    [TestCaseSource(nameof(Cases))]
    public void InPlaceMatchesOutOfPlace(float b, float scale, float shift) =>
        NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text(b, scale, shift), 0.1f, 3f, 363);

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(float b, float scale, float shift) =>
        NeuronLayerChecks.GradientCheck(Text(b, scale, shift), 0.5f, 3f, 364, step: 1e-3f);

    [TestCase(1f)]
    [TestCase(0f)]
    [TestCase(-3f)]
    public void InvalidBaseIsAnError(float b)
    {
        var e = Assert.Throws<OmnivoreException>(() => SetUp(Text(b, 1, 0), [NewBlob("x", 2)], [NewBlob("y")]));
        Assert.That(e!.Message, Does.Contain("'l'").And.Contain("base"));
    }
}
