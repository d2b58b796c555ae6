// GradientCheckerTests: the checker itself must be able to fail. A toy layer computes
// y = a * x * x + w * x with one parameter w; its backward can be made wrong for the
// bottom, wrong for the parameter, or forget to write the bottom diff.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class GradientCheckerTests
{
    public enum Fault { None, BottomScale, ParamScale, NoBottomWrite }

    private sealed class ToyLayer(LayerContext c, Fault fault) : Layer(c)
    {
        public override string Type => "Toy";
        protected override int ExactBottoms => 1;
        protected override int ExactTops => 1;

        protected override void LayerSetUp(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
        {
            var w = AddParam("w", 1);
            w.UploadData([0.7f]);
        }

        public override void Reshape(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top) => top[0].ReshapeLike(bottom[0]);

        public override void Forward(IReadOnlyList<Blob> bottom, IReadOnlyList<Blob> top)
        {
            var x = bottom[0].DownloadData();
            float w = Params[0].DownloadData()[0];
            top[0].UploadData(x.Select(v => 0.5f * v * v + w * v).ToArray());
        }

        public override void Backward(IReadOnlyList<Blob> top, IReadOnlyList<bool> propagateDown, IReadOnlyList<Blob> bottom)
        {
            var x = bottom[0].DownloadData();
            var dy = top[0].DownloadDiff();
            float w = Params[0].DownloadData()[0];
            double dw = Params[0].DownloadDiff()[0];
            for (int i = 0; i < x.Length; i++) dw += dy[i] * x[i];
            Params[0].UploadDiff([(float)(fault == Fault.ParamScale ? 1.1 * dw : dw)]);
            if (!propagateDown[0] || fault == Fault.NoBottomWrite) return;
            float s = fault == Fault.BottomScale ? 1.05f : 1f;
            bottom[0].UploadDiff(x.Select((v, i) => s * dy[i] * (v + w)).ToArray());
        }
    }

    private static void RunCheck(Fault fault)
    {
        var bottom = RandomBlob("x", 111, -1, 1, 3, 4);
        var top = NewBlob("y");
        var layer = new ToyLayer(new LayerContext(new LayerParameter { Name = "toy", Type = "Toy" }, Device, Phase.Train, new Rng(1)), fault);
        try
        {
            layer.SetUp([bottom], [top]);
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(13));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void PassesACorrectLayer() => RunCheck(Fault.None);

    [TestCase(Fault.BottomScale, "bottom 0")]
    [TestCase(Fault.ParamScale, "param 0")]
    [TestCase(Fault.NoBottomWrite, "bottom 0")]
    public void CatchesAWrongGradient(Fault fault, string where)
    {
        var e = Assert.Throws<AssertionException>(() => RunCheck(fault));
        Assert.That(e!.Message, Does.Contain("gradient check of toy (Toy) failed").And.Contain(where));
    }
}
