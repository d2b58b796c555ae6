// PowerLayerTests: Power forward against (shift + scale*x)^power and backward against
// power*scale*(shift + scale*x)^(power-1), covering each of Caffe's cases (power 1,
// power 2, shift 0, general, and the constants of power 0 and scale 0 with their zero
// gradient), the defaults (identity), in place (keeps a copy of the input), and
// gradient checks.
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class PowerLayerTests
{
    private static string Text(float power, float scale, float shift) =>
        $"name: 'p' type: 'Power' power_param {{ power: {NeuronLayerChecks.F(power)} " +
        $"scale: {NeuronLayerChecks.F(scale)} shift: {NeuronLayerChecks.F(shift)} }}";

    // (power, scale, shift, min x, max x): inputs keep shift + scale*x > 0 for fractional powers.
    private static readonly object[] Cases =
    [
        new object[] { 2.5f, 0.8f, 1.2f, 0.1f, 2f },
        new object[] { 2f, -0.5f, 0.3f, -2f, 2f },
        new object[] { 1f, 3f, -1f, -2f, 2f },
        new object[] { 0.5f, 2f, 0f, 0.2f, 2f },
        new object[] { -1.5f, 1f, 0f, 0.3f, 2f },
        new object[] { 3f, 1f, 0f, -1.5f, 1.5f },
        new object[] { -2f, 0.5f, 2f, 0.1f, 2f },
        new object[] { 0f, 2f, 3f, -2f, 2f },
        new object[] { 3f, 0f, 1.5f, -2f, 2f },
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchFormula(float power, float scale, float shift, float min, float max)
    {
        double p = power, a = scale, b = shift;
        NeuronLayerChecks.ForwardBackward(Text(power, scale, shift),
            x => p * a == 0 ? (p == 0 ? 1 : Math.Pow(b, p)) : Math.Pow(b + a * x, p),
            x => p * a == 0 ? 0 : p * a * Math.Pow(b + a * x, p - 1), min, max, 341, 2e-5f);
    }

    [TestCaseSource(nameof(Cases))]
    public void InPlaceMatchesOutOfPlace(float power, float scale, float shift, float min, float max) =>
        NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text(power, scale, shift), min, max, 342);

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(float power, float scale, float shift, float min, float max) =>
        NeuronLayerChecks.GradientCheck(Text(power, scale, shift), min, max, 343, step: 1e-3f);

    [Test]
    public void DefaultsAreTheIdentity() =>
        NeuronLayerChecks.ForwardBackward("name: 'p' type: 'Power'", x => x, _ => 1, -2, 2, 344, 0f);
}
