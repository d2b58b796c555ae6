// SliceLayerTests: SliceLayer forward against a naive split at slice_points and into
// equal parts along axes 0, 1 and -1 (and the legacy slice_dim), backward reassembling
// the bottom diff, a single top shared without copying, Caffe's errors, and gradient
// checks.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SliceLayerTests
{
    private static string Text(string p) => $"name: 'sl' type: 'Slice' slice_param {{ {p} }}";

    [TestCase("axis: 0 slice_point: 1 slice_point: 4", 0, new[] { 1, 3, 2 })]
    [TestCase("slice_point: 2", 1, new[] { 2, 4 })]
    [TestCase("", 1, new[] { 3, 3 })]
    [TestCase("axis: -1 slice_point: 1 slice_point: 3", 3, new[] { 1, 2, 1 })]
    [TestCase("slice_dim: 2", 2, new[] { 1, 1 })]
    [TestCase("axis: 0", 0, new[] { 2, 2, 2 })]
    public void ForwardAndBackwardMatchNaiveSplit(string p, int axis, int[] sizes)
    {
        int[] shape = [6, 6, 2, 4];
        var bottom = RandomBlob("x", 1, -1, 1, shape);
        var tops = sizes.Select((_, i) => NewBlob($"y{i}")).ToArray();
        var layer = SetUp(Text(p), [bottom], tops);
        try
        {
            var shapes = sizes.Select(s => { var t = (int[])shape.Clone(); t[axis] = s; return t; }).ToArray();
            for (int i = 0; i < tops.Length; i++) Assert.That(tops[i].Shape, Is.EqualTo(shapes[i]), $"top {i} shape");
            var full = (int[])shape.Clone();
            full[axis] = sizes.Sum();
            if (full[axis] != shape[axis]) Assert.Fail("test case sizes do not cover the axis");
            layer.Forward([bottom], tops);
            var expected = ConcatLayerTests.NaiveBands(bottom.DownloadData(), shapes, axis);
            for (int i = 0; i < tops.Length; i++) AssertClose(tops[i].DownloadData(), expected[i], 0f, $"top {i}");

            var dys = tops.Select((t, i) => RandomValues(t.Count, 40 + i, -1, 1)).ToArray();
            for (int i = 0; i < tops.Length; i++) tops[i].UploadDiff(dys[i]);
            layer.Backward(tops, [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), ConcatLayerTests.NaiveConcat(dys, shapes, axis), 0f, "bottom diff");
        }
        finally { DisposeAll(layer, [bottom, .. tops]); }
    }

    [Test]
    public void SingleTopIsShared()
    {
        var bottom = RandomBlob("x", 1, -1, 1, 2, 3);
        var top = NewBlob("y");
        var layer = SetUp(Text(""), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { 2, 3 }));
            Assert.That(top.Data.Ptr, Is.EqualTo(bottom.Data.Ptr));
            Assert.That(top.Diff.Ptr, Is.EqualTo(bottom.Diff.Ptr));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("axis: 1 slice_dim: 1", 2, "not both")]
    [TestCase("slice_point: 2", 3, "one fewer than the tops")]
    [TestCase("", 4, "evenly divide")]
    [TestCase("slice_point: 3 slice_point: 2", 3, "must increase")]
    [TestCase("slice_point: 0", 2, "must increase")]
    [TestCase("slice_point: 7", 2, "beyond axis")]
    [TestCase("slice_point: 1 slice_point: 2 slice_point: 3 slice_point: 4 slice_point: 5 slice_point: 6", 7, "cannot cut")]
    [TestCase("axis: 2", 2, "out of range")]
    [TestCase("slice_dim: 2", 2, "slice_dim 2 out of range")]
    public void CaffesErrors(string p, int tops, string message)
    {
        var bottom = NewBlob("x", 2, 6);
        var top = Enumerable.Range(0, tops).Select(i => NewBlob($"y{i}")).ToArray();
        var layer = Create(Text(p));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], top));
            Assert.That(e!.Message, Does.Contain("'sl'").And.Contain(message));
        }
        finally { DisposeAll(layer, [bottom, .. top]); }
    }

    [TestCase("axis: 0", 2)]
    [TestCase("slice_point: 1 slice_point: 2", 3)]
    [TestCase("axis: -1 slice_point: 1", 2)]
    public void GradientCheck(string p, int tops)
    {
        var bottom = RandomBlob("x", 50, -1, 1, 2, 3, 2);
        var top = Enumerable.Range(0, tops).Select(i => NewBlob($"y{i}")).ToArray();
        var layer = SetUp(Text(p), [bottom], top);
        try { Assert.That(new GradientChecker().Check(layer, [bottom], top), Is.EqualTo(bottom.Count)); }
        finally { DisposeAll(layer, [bottom, .. top]); }
    }
}
