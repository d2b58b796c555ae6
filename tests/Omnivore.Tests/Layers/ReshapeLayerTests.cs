// ReshapeLayerTests: ReshapeLayer output shapes on Caffe's own cases (0 copies a dim,
// one -1 is inferred, axis/num_axes select the replaced range, singleton axes inserted
// at the start, middle and end), the top sharing the bottom's data and diff, Caffe's
// errors, and a gradient check.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ReshapeLayerTests
{
    private static string Text(string p) => $"name: 'rs' type: 'Reshape' reshape_param {{ {p} }}";

    private static string Dims(params int[] d) => "shape { " + string.Join(" ", d.Select(x => $"dim: {x}")) + " }";

    public static readonly object[] Cases =
    [
        new object[] { Dims(0, -1, 1, 1), new[] { 2, 90, 1, 1 } },
        new object[] { Dims(0, 3, 10, -1), new[] { 2, 3, 10, 3 } },
        new object[] { Dims(0, 0, 0, 0), new[] { 2, 3, 6, 5 } },
        new object[] { Dims(-1), new[] { 180 } },
        new object[] { Dims(6, 30), new[] { 6, 30 } },
        new object[] { "axis: 1 num_axes: 3 " + Dims(3, 10, -1), new[] { 2, 3, 10, 3 } },
        new object[] { "axis: 0 num_axes: 0 " + Dims(1, 1, 1), new[] { 1, 1, 1, 2, 3, 6, 5 } },
        new object[] { "axis: 2 num_axes: 0 " + Dims(1, 1, 1), new[] { 2, 3, 1, 1, 1, 6, 5 } },
        new object[] { "axis: -1 num_axes: 0 " + Dims(1, 1, 1), new[] { 2, 3, 6, 5, 1, 1, 1 } },
        new object[] { "axis: 1 num_axes: 2 " + Dims(-1), new[] { 2, 18, 5 } },
        new object[] { "axis: -2 " + Dims(0, -1), new[] { 2, 3, 6, 5, 1 } },   // axis -2 is "before the last axis"
        new object[] { "axis: 1 num_axes: 1 " + Dims(1, 3, 1), new[] { 2, 1, 3, 1, 6, 5 } },
    ];

    [TestCaseSource(nameof(Cases))]
    public void OutputShapeAndValues(string p, int[] expected)
    {
        var bottom = RandomBlob("x", 1, -1, 1, 2, 3, 6, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(expected));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "reshape keeps the values in order");
            Assert.That(top.Data.Ptr, Is.EqualTo(bottom.Data.Ptr));
            Assert.That(top.Diff.Ptr, Is.EqualTo(bottom.Diff.Ptr));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void InferredDimFollowsTheBatch()
    {
        var bottom = NewBlob("x", 2, 3, 6, 5);
        var top = NewBlob("y");
        var layer = SetUp(Text(Dims(-1, 10)), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { 18, 10 }));
            bottom.Reshape(4, 3, 6, 5);
            layer.Reshape([bottom], [top]);
            Assert.That(top.Shape, Is.EqualTo(new[] { 36, 10 }));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("shape { dim: -1 dim: -1 }", "multiple -1")]
    [TestCase("shape { dim: 7 dim: -1 }", "divisible")]
    [TestCase("shape { dim: 6 dim: 31 }", "output count must match input count")]
    [TestCase("shape { dim: -2 dim: 90 }", "dims must be positive")]
    [TestCase("axis: 1 num_axes: 3 shape { dim: 0 dim: 0 dim: 0 dim: 0 }", "no corresponding bottom axis")]
    [TestCase("axis: 5 shape { dim: 1 }", "out of range")]
    [TestCase("axis: -6 shape { dim: 1 }", "out of range")]
    [TestCase("num_axes: -2 shape { dim: -1 }", "num_axes must be >= 0")]
    [TestCase("axis: 2 num_axes: 3 shape { dim: -1 }", "end_axis")]
    public void CaffesErrors(string p, string message)
    {
        var bottom = NewBlob("x", 2, 3, 6, 5);
        var top = NewBlob("y");
        var layer = Create(Text(p));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'rs'").And.Contain(message));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void GradientCheck()
    {
        var bottom = RandomBlob("x", 2, -1, 1, 2, 3, 2);
        var top = NewBlob("y");
        var layer = SetUp(Text(Dims(0, -1, 2)), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { 2, 3, 2 }));
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
