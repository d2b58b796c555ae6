// TanHLayerTests: TanH forward against tanh(x), backward against dy*(1 - tanh^2),
// in place, and gradient checks.
namespace Omnivore.Tests.Layers;

[TestFixture]
public class TanHLayerTests
{
    private const string Text = "name: 't' type: 'TanH'";

    [Test]
    public void ForwardAndBackwardMatchFormula() =>
        NeuronLayerChecks.ForwardBackward(Text, Math.Tanh, x => 1 - Math.Tanh(x) * Math.Tanh(x), -4, 4, 311, 1e-6f,
                                          extra: [50f, -50f, 0f]);

    [Test]
    public void InPlaceMatchesOutOfPlace() => NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text, -3, 3, 312);

    [Test]
    public void GradientCheck() => NeuronLayerChecks.GradientCheck(Text, -2, 2, 313);
}
