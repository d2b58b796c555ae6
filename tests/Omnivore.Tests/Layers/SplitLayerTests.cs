// SplitLayerTests: SplitLayer copies its bottom to every top in forward and sums the
// tops' diffs into the bottom diff in backward (overwriting, not accumulating, the
// bottom diff); gradient check with three tops.
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class SplitLayerTests
{
    private const string Text = "name: 'split' type: 'Split'";

    [Test]
    public void ForwardCopiesAndBackwardSumsDiffs()
    {
        var bottom = RandomBlob("x", 101, -1, 1, 2, 3, 2, 2);
        var tops = new[] { NewBlob("y0"), NewBlob("y1"), NewBlob("y2") };
        var layer = SetUp(Text, [bottom], tops);
        try
        {
            var x = bottom.DownloadData();
            layer.Forward([bottom], tops);
            foreach (var t in tops)
            {
                Assert.That(t.Shape, Is.EqualTo(bottom.Shape));
                Assert.That(t.DownloadData(), Is.EqualTo(x), t.Name);
            }
            var diffs = tops.Select((t, i) => RandomValues(t.Count, 102 + i, -1, 1)).ToArray();
            for (int i = 0; i < tops.Length; i++) tops[i].UploadDiff(diffs[i]);
            bottom.UploadDiff(Enumerable.Repeat(100f, (int)bottom.Count).ToArray()); // stale values must be overwritten
            layer.Backward(tops, [true], [bottom]);
            var expected = x.Select((_, j) => diffs[0][j] + diffs[1][j] + diffs[2][j]).ToArray();
            AssertClose(bottom.DownloadDiff(), expected, 1e-6f, "bottom diff");
        }
        finally { DisposeAll(layer, [bottom, .. tops]); }
    }

    [Test]
    public void SingleTopIsACopy()
    {
        var bottom = RandomBlob("x", 105, -1, 1, 4, 3);
        var top = NewBlob("y");
        var layer = SetUp(Text, [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            Assert.That(top.DownloadData(), Is.EqualTo(bottom.DownloadData()));
            var dy = RandomValues(top.Count, 106, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            Assert.That(bottom.DownloadDiff(), Is.EqualTo(dy));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void GradientCheck()
    {
        var bottom = RandomBlob("x", 107, -1, 1, 2, 3, 2, 2);
        var tops = new[] { NewBlob("y0"), NewBlob("y1"), NewBlob("y2") };
        var layer = SetUp(Text, [bottom], tops);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [bottom], tops), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, [bottom, .. tops]); }
    }
}
