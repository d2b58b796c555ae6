// BiasLayerTests: BiasLayer forward against a naive broadcast add over (outer, bias_dim,
// inner) for a learnable bias (axis/num_axes variants, the scalar case, filler default 0)
// and for a bias given as bottom[1]; in-place use; backward (bias gradient accumulates
// into a param, overwrites a bottom's diff); Caffe's shape errors; gradient checks.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class BiasLayerTests
{
    private static readonly int[] Shape = [2, 3, 4, 2];

    private static string Text(string p) =>
        $"name: 'bias' type: 'Bias' bias_param {{ {p} filler {{ type: 'uniform' min: -1 max: 1 }} }}";

    /// <summary>y[o,c,i] = x[o,c,i] + b[c] for x viewed as (outer, b.Length, inner), starting at axis.</summary>
    internal static float[] NaiveBroadcast(float[] x, int[] shape, float[] b, int axis, Func<float, float, float> op)
    {
        int outer = shape.Take(axis).Aggregate(1, (p, d) => p * d);
        int inner = x.Length / outer / b.Length;
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < b.Length; c++)
                for (int i = 0; i < inner; i++)
                {
                    int k = (o * b.Length + c) * inner + i;
                    y[k] = op(x[k], b[c]);
                }
        return y;
    }

    public static readonly object[] ParamCases =
    [
        new object[] { "", new[] { 3 }, 1 },
        new object[] { "axis: 1 num_axes: 2", new[] { 3, 4 }, 1 },
        new object[] { "axis: 0 num_axes: -1", new[] { 2, 3, 4, 2 }, 0 },
        new object[] { "axis: -2 num_axes: 1", new[] { 4 }, 2 },
        new object[] { "num_axes: 0", new int[0], 0 },
    ];

    [TestCaseSource(nameof(ParamCases))]
    public void LearnableBiasForwardAndBackward(string p, int[] biasShape, int axis)
    {
        var bottom = RandomBlob("x", 1, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom], [top]);
        try
        {
            Assert.That(layer.Params, Has.Count.EqualTo(1));
            Assert.That(layer.Params[0].Shape, Is.EqualTo(biasShape));
            layer.Forward([bottom], [top]);
            var b = layer.Params[0].DownloadData();
            AssertClose(top.DownloadData(), NaiveBroadcast(bottom.DownloadData(), Shape, b, axis, (x, v) => x + v), 1e-6f, p);

            var dy = RandomValues(top.Count, 2, -1, 1);
            top.UploadDiff(dy);
            layer.Params[0].Device.Set(layer.Params[0].Diff, 0.5f);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), dy, 0f, "bottom diff");
            var expected = new double[b.Length];
            int inner = dy.Length / Shape.Take(axis).Aggregate(1, (q, d) => q * d) / b.Length;
            for (int k = 0; k < dy.Length; k++) expected[k / inner % b.Length] += dy[k];
            AssertClose(layer.Params[0].DownloadDiff(), expected.Select(v => (float)(v + 0.5)).ToArray(), 1e-5f, "bias diff accumulates");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void DefaultFillerIsZero()
    {
        var bottom = RandomBlob("x", 3, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp("name: 'bias' type: 'Bias'", [bottom], [top]);
        try
        {
            Assert.That(layer.Params[0].DownloadData(), Is.All.EqualTo(0f));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "identity");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("", new[] { 3, 4 }, 1)]
    [TestCase("axis: 0", new[] { 2, 3 }, 0)]
    [TestCase("axis: 3", new int[0], 0)]
    public void BiasFromSecondBottom(string p, int[] biasShape, int axis)
    {
        var bottom = RandomBlob("x", 4, -1, 1, Shape);
        var bias = RandomBlob("b", 5, -1, 1, biasShape);
        var top = NewBlob("y");
        var layer = SetUp($"name: 'bias' type: 'Bias' bias_param {{ {p} }}", [bottom, bias], [top]);
        try
        {
            Assert.That(layer.Params, Is.Empty);
            layer.Forward([bottom, bias], [top]);
            var b = bias.DownloadData();
            AssertClose(top.DownloadData(), NaiveBroadcast(bottom.DownloadData(), Shape, b, axis, (x, v) => x + v), 1e-6f, p);
            var dy = RandomValues(top.Count, 6, -1, 1);
            top.UploadDiff(dy);
            bias.UploadDiff(Enumerable.Repeat(9f, (int)bias.Count).ToArray());
            layer.Backward([top], [true, true], [bottom, bias]);
            var expected = new double[b.Length];
            int inner = dy.Length / Shape.Take(axis).Aggregate(1, (q, d) => q * d) / b.Length;
            for (int k = 0; k < dy.Length; k++) expected[k / inner % b.Length] += dy[k];
            AssertClose(bias.DownloadDiff(), expected.Select(v => (float)v).ToArray(), 1e-5f, "bias diff is overwritten");
        }
        finally { DisposeAll(layer, bottom, bias, top); }
    }

    [Test]
    public void InPlace()
    {
        var x = RandomValues(48, 7, -1, 1);
        var blob = NewBlob("x", Shape);
        blob.UploadData(x);
        var layer = SetUp(Text(""), [blob], [blob]);
        try
        {
            layer.Forward([blob], [blob]);
            AssertClose(blob.DownloadData(), NaiveBroadcast(x, Shape, layer.Params[0].DownloadData(), 1, (a, v) => a + v), 1e-6f, "in place");
            Assert.That(new GradientChecker().Check(layer, [blob], [blob]), Is.EqualTo(blob.Count + 3));
        }
        finally { DisposeAll(layer, blob); }
    }

    [TestCase("", new[] { 4 }, "dimension mismatch")]
    [TestCase("axis: 3", new[] { 2, 2 }, "extends past")]
    public void ShapeErrors(string p, int[] biasShape, string message)
    {
        var bottom = NewBlob("x", Shape);
        var bias = NewBlob("b", biasShape);
        var top = NewBlob("y");
        var layer = Create($"name: 'bias' type: 'Bias' bias_param {{ {p} }}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom, bias], [top]));
            Assert.That(e!.Message, Does.Contain("'bias'").And.Contain(message));
        }
        finally { DisposeAll(layer, bottom, bias, top); }
    }

    [Test]
    public void ParamExtendingPastTheBottomIsAnError()
    {
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var layer = Create(Text("axis: 2 num_axes: 3"));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("extends past"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(ParamCases))]
    public void GradientCheckLearnable(string p, int[] biasShape, int axis)
    {
        var bottom = RandomBlob("x", 8, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom], [top]);
        try { Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count + layer.Params[0].Count)); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void GradientCheckSecondBottom()
    {
        var bottom = RandomBlob("x", 9, -1, 1, Shape);
        var bias = RandomBlob("b", 10, -1, 1, 3, 4);
        var top = NewBlob("y");
        var layer = SetUp("name: 'bias' type: 'Bias'", [bottom, bias], [top]);
        try { Assert.That(new GradientChecker().Check(layer, [bottom, bias], [top]), Is.EqualTo(bottom.Count + bias.Count)); }
        finally { DisposeAll(layer, bottom, bias, top); }
    }
}
