// EluLayerTests: ELU forward against x > 0 ? x : alpha*(e^x - 1) and backward against
// dy * (x > 0 ? 1 : alpha*e^x), for the default alpha 1 and others (negative alpha keeps
// a copy of the input in place), in place, and gradient checks away from the kink.
namespace Omnivore.Tests.Layers;

[TestFixture]
public class EluLayerTests
{
    private static string Text(float? alpha) =>
        "name: 'e' type: 'ELU'" + (alpha is float a ? $" elu_param {{ alpha: {NeuronLayerChecks.F(a)} }}" : "");

    [TestCase(null)]
    [TestCase(0.5f)]
    [TestCase(0f)]
    [TestCase(-0.3f)]
    public void ForwardAndBackwardMatchFormula(float? alpha)
    {
        double a = alpha ?? 1f;
        NeuronLayerChecks.ForwardBackward(Text(alpha), x => x > 0 ? x : a * (Math.Exp(x) - 1),
                                          x => x > 0 ? 1 : a * Math.Exp(x), -3, 3, 331, 1e-6f, extra: [0f, 20f, -20f]);
    }

    [TestCase(null)]
    [TestCase(2f)]
    [TestCase(-0.3f)]
    public void InPlaceMatchesOutOfPlace(float? alpha) => NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text(alpha), -2, 2, 332);

    [TestCase(null)]
    [TestCase(0.4f)]
    [TestCase(-0.3f)]
    public void GradientCheck(float? alpha) =>
        NeuronLayerChecks.GradientCheck(Text(alpha), -2, 2, 333, kink: 0f, kinkRange: 0.01f);
}
