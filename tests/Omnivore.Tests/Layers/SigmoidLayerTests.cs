// SigmoidLayerTests: Sigmoid forward against 1/(1+e^-x) and backward against
// dy*s*(1-s), saturation without NaN at |x| = 100, in place, and gradient checks.
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SigmoidLayerTests
{
    private const string Text = "name: 's' type: 'Sigmoid'";
    private static double S(double x) => 1 / (1 + Math.Exp(-x));

    [Test]
    public void ForwardAndBackwardMatchFormula() =>
        NeuronLayerChecks.ForwardBackward(Text, S, x => S(x) * (1 - S(x)), -5, 5, 301, 1e-6f,
                                          extra: [100f, -100f, 0f, 30f, -30f]);

    [Test]
    public void InPlaceMatchesOutOfPlace() => NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text, -4, 4, 302);

    [Test]
    public void GradientCheck() => NeuronLayerChecks.GradientCheck(Text, -3, 3, 303);

    [Test]
    public void SaturatesWithoutNaN()
    {
        var bottom = NewBlob("x", 4);
        bottom.UploadData([-1000f, -90f, 90f, 1000f]);
        var top = NewBlob("y");
        var layer = SetUp(Text, [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            Assert.That(top.DownloadData(), Is.EqualTo(new[] { 0f, 0f, 1f, 1f }));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
