// HingeLossLayerTests: L1 (default) and L2 hinge loss against a naive loop over
// d_ij = max(0, 1 - t_ij x_ij) with t = +1 for the label and -1 otherwise, divided by N;
// the analytic gradient, loss_weight scaling, gradient checks away from the hinge's
// kinks (|x| = 1), no gradient to the labels, and label range errors.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class HingeLossLayerTests
{
    private const int N = 5, D = 4;

    private static string Text(string norm = "", string extra = "") =>
        $"name: 'hinge' type: 'HingeLoss' {extra}" + (norm == "" ? "" : $" hinge_loss_param {{ norm: {norm} }}");

    private static (Blob X, Blob L) Inputs(int seed)
    {
        var x = RandomBlob("x", seed, -2, 2, N, D, 1, 1);
        var l = NewBlob("label", N);
        l.UploadData([0f, 3f, 1f, 2f, 3f]);
        return (x, l);
    }

    [TestCase("", 1f)]
    [TestCase("L1", 1f)]
    [TestCase("L2", 1f)]
    [TestCase("L2", 0.5f)]
    public void LossAndGradientMatchNaiveLoop(string norm, float weight)
    {
        var (x, l) = Inputs(701);
        var top = NewBlob("loss");
        var layer = SetUp(Text(norm, $"loss_weight: {NeuronLayerChecks.F(weight)}"), [x, l], [top]);
        try
        {
            layer.Forward([x, l], [top]);
            var (xv, lv) = (x.DownloadData(), l.DownloadData());
            bool l2 = norm == "L2";
            double loss = 0;
            var grad = new float[xv.Length];
            for (int i = 0; i < N; i++)
            for (int j = 0; j < D; j++)
            {
                int k = i * D + j;
                double t = j == (int)lv[i] ? 1 : -1;
                double d = Math.Max(0, 1 - t * xv[k]);
                loss += l2 ? d * d : d;
                double g = l2 ? -2 * t * d : (d > 0 ? -t : 0);
                grad[k] = (float)(g * weight / N);
            }
            Assert.That(top.DownloadData()[0], Is.EqualTo(loss / N).Within(1e-5).Percent);
            layer.Backward([top], [true, false], [x, l]);
            AssertClose(x.DownloadDiff(), grad, 1e-6f, "gradient");
        }
        finally { DisposeAll(layer, x, l, top); }
    }

    [TestCase("L1")]
    [TestCase("L2")]
    public void GradientCheck(string norm)
    {
        var (x, l) = Inputs(702);
        var top = NewBlob("loss");
        var layer = SetUp(Text(norm), [x, l], [top]);
        try
        {
            int n = new GradientChecker(kink: 1f, kinkRange: 0.02f).Check(layer, [x, l], [top]);
            Assert.That(n, Is.GreaterThan(x.Count * 8 / 10));
        }
        finally { DisposeAll(layer, x, l, top); }
    }

    [Test]
    public void LabelsGetNoGradientAndMustBeInRange()
    {
        var (x, l) = Inputs(703);
        var top = NewBlob("loss");
        var layer = SetUp(Text(), [x, l], [top]);
        try
        {
            Assert.That(layer.AllowBackwardTo(1), Is.False);
            layer.Forward([x, l], [top]);
            Assert.Throws<OmnivoreException>(() => layer.Backward([top], [true, true], [x, l]));
            l.UploadData([0f, 4f, 1f, 2f, 3f]);
            var e = Assert.Throws<OmnivoreException>(() => layer.Forward([x, l], [top]));
            Assert.That(e!.Message, Does.Contain("'hinge'").And.Contain("label 4"));
        }
        finally { DisposeAll(layer, x, l, top); }
    }
}
