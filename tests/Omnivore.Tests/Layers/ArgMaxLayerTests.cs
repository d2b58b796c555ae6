// ArgMaxLayerTests: ArgMaxLayer against a naive sort of (value, index) pairs, descending
// with ties to the larger index as Caffe: without axis (top (N, 1|2, top_k, 1...)), with
// an axis (that axis becomes top_k long), indices or values (out_max_val); the output
// shapes; Caffe's errors; and the absence of a backward pass (there is no gradient to
// check).
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ArgMaxLayerTests
{
    private static readonly int[] Shape = [2, 3, 4, 2];

    private static string Text(string p) => $"name: 'am' type: 'ArgMax' argmax_param {{ {p} }}";

    /// <summary>The top_k (index, value) pairs of v, Caffe's order.</summary>
    private static (int Index, float Value)[] TopK(float[] v, int k) =>
        v.Select((x, i) => (Index: i, Value: x)).OrderByDescending(t => t.Value).ThenByDescending(t => t.Index).Take(k).ToArray();

    /// <summary>Ties on purpose: values are multiples of 0.5 in [-2, 2].</summary>
    private static Blob Bottom() =>
        NewBlobWith("x", RandomValues(2 * 3 * 4 * 2, 3, -2, 2).Select(x => MathF.Round(x * 2) / 2).ToArray(), Shape);

    private static Blob NewBlobWith(string name, float[] v, int[] shape)
    {
        var b = NewBlob(name, shape);
        b.UploadData(v);
        return b;
    }

    [TestCase(1, false, new[] { 2, 1, 1, 1 })]
    [TestCase(3, false, new[] { 2, 1, 3, 1 })]
    [TestCase(3, true, new[] { 2, 2, 3, 1 })]
    public void WithoutAxisRanksEachExample(int k, bool outMaxVal, int[] expectedShape)
    {
        var bottom = Bottom();
        var top = NewBlob("y");
        var layer = SetUp(Text($"top_k: {k} out_max_val: {(outMaxVal ? "true" : "false")}"), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(expectedShape));
            layer.Forward([bottom], [top]);
            var x = bottom.DownloadData();
            int dim = (int)bottom.CountFrom(1);
            var expected = new List<float>();
            for (int n = 0; n < 2; n++)
            {
                var best = TopK(x.Skip(n * dim).Take(dim).ToArray(), k);
                expected.AddRange(best.Select(t => (float)t.Index));
                if (outMaxVal) expected.AddRange(best.Select(t => t.Value));
            }
            AssertClose(top.DownloadData(), expected.ToArray(), 0f, "argmax");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(1, 2, false)]
    [TestCase(2, 3, true)]
    [TestCase(-1, 2, false)]
    [TestCase(0, 1, true)]
    public void WithAxisRanksAlongIt(int axis, int k, bool outMaxVal)
    {
        var bottom = Bottom();
        var top = NewBlob("y");
        var layer = SetUp(Text($"axis: {axis} top_k: {k} out_max_val: {(outMaxVal ? "true" : "false")}"), [bottom], [top]);
        try
        {
            int a = axis < 0 ? axis + 4 : axis;
            var shape = (int[])Shape.Clone();
            shape[a] = k;
            Assert.That(top.Shape, Is.EqualTo(shape));
            layer.Forward([bottom], [top]);
            var x = bottom.DownloadData();
            int outer = Shape.Take(a).Aggregate(1, (p, d) => p * d), dim = Shape[a];
            int inner = Shape.Skip(a + 1).Aggregate(1, (p, d) => p * d);
            var expected = new float[outer * k * inner];
            for (int o = 0; o < outer; o++)
                for (int i = 0; i < inner; i++)
                {
                    var v = Enumerable.Range(0, dim).Select(j => x[(o * dim + j) * inner + i]).ToArray();
                    var best = TopK(v, k);
                    for (int j = 0; j < k; j++)
                        expected[(o * k + j) * inner + i] = outMaxVal ? best[j].Value : best[j].Index;
                }
            AssertClose(top.DownloadData(), expected, 0f, $"argmax axis {axis}");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void TwoAxisBottomGetsThreeAxisTop()
    {
        var bottom = NewBlobWith("x", [1f, 5f, 5f, 0f, 3f, 2f, 9f, 9f], [2, 4]);
        var top = NewBlob("y");
        var layer = SetUp(Text(""), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { 2, 1, 1 }));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), [2f, 3f], 0f, "ties go to the larger index");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("top_k: 0", "top k must not be less than 1")]
    [TestCase("top_k: 25", "flattened bottom blob per instance")]
    [TestCase("axis: 1 top_k: 4", "dimension of the axis")]
    [TestCase("axis: 4", "out of range")]
    public void CaffesErrors(string p, string message)
    {
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var layer = Create(Text(p));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'am'").And.Contain(message));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void HasNoBackward()
    {
        var bottom = Bottom();
        var top = NewBlob("y");
        var layer = SetUp(Text(""), [bottom], [top]);
        try
        {
            Assert.That(layer.AllowBackwardTo(0), Is.False);
            layer.Backward([top], [false], [bottom]);   // nothing asked: nothing done
            var e = Assert.Throws<OmnivoreException>(() => layer.Backward([top], [true], [bottom]));
            Assert.That(e!.Message, Does.Contain("no backward"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
