// SoftmaxLayerTests: SoftmaxLayer forward against a naive exp/sum over the softmax axis
// (default axis 1, and axes 0, 2 and -1), stability with large scores, and gradient
// checks along each axis.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SoftmaxLayerTests
{
    private static readonly int[] Shape = [2, 3, 2, 3];

    private static string Text(int? axis) =>
        "name: 'prob' type: 'Softmax'" + (axis is int a ? $" softmax_param {{ axis: {a} }}" : "");

    /// <summary>Softmax of x (shape) along axis, in double.</summary>
    internal static float[] NaiveSoftmax(float[] x, int[] shape, int axis)
    {
        int outer = 1, inner = 1, ch = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
        for (int j = 0; j < inner; j++)
        {
            double max = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < ch; c++) max = Math.Max(max, x[(o * ch + c) * inner + j]);
            for (int c = 0; c < ch; c++) sum += Math.Exp(x[(o * ch + c) * inner + j] - max);
            for (int c = 0; c < ch; c++)
                y[(o * ch + c) * inner + j] = (float)(Math.Exp(x[(o * ch + c) * inner + j] - max) / sum);
        }
        return y;
    }

    [TestCase(null, 1)]
    [TestCase(0, 0)]
    [TestCase(2, 2)]
    [TestCase(-1, 3)]
    public void ForwardMatchesNaiveSoftmax(int? axis, int canonical)
    {
        var bottom = RandomBlob("x", 51, -3, 3, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(axis), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(Shape));
            layer.Forward([bottom], [top]);
            var y = top.DownloadData();
            AssertClose(y, NaiveSoftmax(bottom.DownloadData(), Shape, canonical), 1e-5f, $"axis {canonical}");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void LargeScoresDoNotOverflow()
    {
        var bottom = NewBlob("x", 1, 3);
        bottom.UploadData([1000f, 999f, -1000f]);
        var top = NewBlob("y");
        var layer = SetUp(Text(null), [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            var e = Math.Exp(-1);
            AssertClose(top.DownloadData(), [(float)(1 / (1 + e)), (float)(e / (1 + e)), 0f], 1e-6f, "softmax");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(null)]
    [TestCase(0)]
    [TestCase(2)]
    [TestCase(-1)]
    public void GradientCheck(int? axis)
    {
        var bottom = RandomBlob("x", 52, -2, 2, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(axis), [bottom], [top]);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
