// ConcatLayerTests: ConcatLayer forward against a naive concatenation along axes 0, 1,
// 2 and -1 (and the legacy concat_dim), backward routing each band of the top diff to its
// bottom (and only to bottoms asked for), a single bottom shared without copying,
// Caffe's errors, and gradient checks.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ConcatLayerTests
{
    /// <summary>Naive concatenation of arrays of the given shapes along axis.</summary>
    internal static float[] NaiveConcat(float[][] xs, int[][] shapes, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shapes[0][i];
        for (int i = axis + 1; i < shapes[0].Length; i++) inner *= shapes[0][i];
        var y = new List<float>();
        for (int o = 0; o < outer; o++)
            for (int b = 0; b < xs.Length; b++)
            {
                int band = shapes[b][axis] * inner;
                for (int j = 0; j < band; j++) y.Add(xs[b][o * band + j]);
            }
        return y.ToArray();
    }

    [TestCase("axis: 0", 0)]
    [TestCase("", 1)]
    [TestCase("axis: 2", 2)]
    [TestCase("axis: -1", 3)]
    [TestCase("concat_dim: 2", 2)]
    public void ForwardMatchesNaiveConcatenation(string p, int axis)
    {
        int[] baseShape = [2, 3, 2, 4];
        var shapes = new int[3][];
        for (int b = 0; b < 3; b++)
        {
            shapes[b] = (int[])baseShape.Clone();
            shapes[b][axis] = b + 1;
        }
        var bottoms = shapes.Select((s, i) => RandomBlob($"x{i}", 10 + i, -1, 1, s)).ToArray();
        var top = NewBlob("y");
        var layer = SetUp($"name: 'cat' type: 'Concat' concat_param {{ {p} }}", bottoms, [top]);
        try
        {
            var expectedShape = (int[])baseShape.Clone();
            expectedShape[axis] = 6;
            Assert.That(top.Shape, Is.EqualTo(expectedShape));
            layer.Forward(bottoms, [top]);
            var xs = bottoms.Select(b => b.DownloadData()).ToArray();
            AssertClose(top.DownloadData(), NaiveConcat(xs, shapes, axis), 0f, $"concat axis {axis}");

            // Backward splits the top diff back into the bands; bottom 1 is not asked for.
            var dy = RandomValues(top.Count, 20, -1, 1);
            top.UploadDiff(dy);
            bottoms[1].UploadDiff(Enumerable.Repeat(7f, (int)bottoms[1].Count).ToArray());
            layer.Backward([top], [true, false, true], bottoms);
            var grads = bottoms.Select(b => b.DownloadDiff()).ToArray();
            var bands = NaiveBands(dy, shapes, axis);
            AssertClose(grads[0], bands[0], 0f, "bottom 0 diff");
            AssertClose(grads[2], bands[2], 0f, "bottom 2 diff");
            Assert.That(grads[1], Is.All.EqualTo(7f), "bottom 1 diff untouched");
        }
        finally { DisposeAll(layer, [.. bottoms, top]); }
    }

    /// <summary>Naive split of y along axis into parts of the given shapes (the inverse of NaiveConcat).</summary>
    internal static float[][] NaiveBands(float[] y, int[][] shapes, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shapes[0][i];
        for (int i = axis + 1; i < shapes[0].Length; i++) inner *= shapes[0][i];
        var parts = shapes.Select(_ => new List<float>()).ToArray();
        int pos = 0;
        for (int o = 0; o < outer; o++)
            for (int b = 0; b < shapes.Length; b++)
                for (int j = 0; j < shapes[b][axis] * inner; j++) parts[b].Add(y[pos++]);
        return parts.Select(p => p.ToArray()).ToArray();
    }

    [Test]
    public void SingleBottomIsShared()
    {
        var bottom = RandomBlob("x", 1, -1, 1, 2, 3);
        var top = NewBlob("y");
        var layer = SetUp("name: 'cat' type: 'Concat'", [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { 2, 3 }));
            Assert.That(top.Data.Ptr, Is.EqualTo(bottom.Data.Ptr));
            Assert.That(top.Diff.Ptr, Is.EqualTo(bottom.Diff.Ptr));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "shared");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("axis: 1 concat_dim: 1", new[] { 2, 3 }, new[] { 2, 4 }, "not both")]
    [TestCase("axis: 1", new[] { 2, 3 }, new[] { 3, 3 }, "same shape, except at concat_axis")]
    [TestCase("axis: 1", new[] { 2, 3 }, new[] { 2, 3, 1 }, "same #axes")]
    [TestCase("axis: 2", new[] { 2, 3 }, new[] { 2, 3 }, "out of range")]
    [TestCase("concat_dim: 2", new[] { 2, 3 }, new[] { 2, 3 }, "concat_dim 2 out of range")]
    public void CaffesErrors(string p, int[] s0, int[] s1, string message)
    {
        var b0 = NewBlob("a", s0);
        var b1 = NewBlob("b", s1);
        var top = NewBlob("y");
        var layer = Create($"name: 'cat' type: 'Concat' concat_param {{ {p} }}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([b0, b1], [top]));
            Assert.That(e!.Message, Does.Contain("'cat'").And.Contain(message));
        }
        finally { DisposeAll(layer, b0, b1, top); }
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(-1)]
    public void GradientCheck(int axis)
    {
        int[] s0 = [2, 3, 2], s1 = [2, 3, 2];
        s1[axis < 0 ? 2 : axis] = 1;
        var b0 = RandomBlob("a", 30, -1, 1, s0);
        var b1 = RandomBlob("b", 31, -1, 1, s1);
        var top = NewBlob("y");
        var layer = SetUp($"name: 'cat' type: 'Concat' concat_param {{ axis: {axis} }}", [b0, b1], [top]);
        try { Assert.That(new GradientChecker().Check(layer, [b0, b1], [top]), Is.EqualTo(b0.Count + b1.Count)); }
        finally { DisposeAll(layer, b0, b1, top); }
    }
}
