// AbsValLayerTests: AbsVal forward against |x|, backward against dy*sign(x) with
// sign(0) = 0, in place (which Caffe refuses; here it keeps a copy of the input), and
// gradient checks away from the kink at 0.
namespace Omnivore.Tests.Layers;

[TestFixture]
public class AbsValLayerTests
{
    private const string Text = "name: 'a' type: 'AbsVal'";

    [Test]
    public void ForwardAndBackwardMatchFormula() =>
        NeuronLayerChecks.ForwardBackward(Text, Math.Abs, x => Math.Sign(x), -2, 2, 321, 0f, extra: [0f, -0f, 3f, -3f]);

    [Test]
    public void InPlaceMatchesOutOfPlace() => NeuronLayerChecks.InPlaceMatchesOutOfPlace(Text, -2, 2, 322);

    [Test]
    public void GradientCheck() => NeuronLayerChecks.GradientCheck(Text, -1, 1, 323, kink: 0f, kinkRange: 0.01f);
}
