// ScaleLayerTests: ScaleLayer forward against a naive broadcast multiply (and add with
// bias_term) for a learnable scale (default filler 1, axis/num_axes variants, scalar)
// and a scale given as bottom[1]; the param layout (scale, then bias); backward against
// naive sums; in-place use (bottom kept for the scale gradient); parameter gradients
// accumulate; Caffe's shape errors; gradient checks.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ScaleLayerTests
{
    private static readonly int[] Shape = [2, 3, 4, 2];
    private const string Fillers = "filler { type: 'uniform' min: -2 max: 2 } bias_filler { type: 'uniform' min: -1 max: 1 }";

    private static string Text(string p) => $"name: 'sc' type: 'Scale' scale_param {{ {p} {Fillers} }}";

    public static readonly object[] ParamCases =
    [
        new object[] { "", new[] { 3 }, 1 },
        new object[] { "bias_term: true", new[] { 3 }, 1 },
        new object[] { "axis: 1 num_axes: 2 bias_term: true", new[] { 3, 4 }, 1 },
        new object[] { "axis: -1 num_axes: -1", new[] { 2 }, 3 },
        new object[] { "num_axes: 0 bias_term: true", new int[0], 0 },
    ];

    /// <summary>Expected top, bottom diff, scale gradient and bias gradient, naively.</summary>
    private static (float[] Y, float[] Dx, float[] Ds, float[] Db) Naive(float[] x, float[] s, float[]? b, float[] dy, int axis)
    {
        int outer = Shape.Take(axis).Aggregate(1, (p, d) => p * d), c = s.Length, inner = x.Length / outer / c;
        var y = new float[x.Length];
        var dx = new float[x.Length];
        var ds = new double[c];
        var db = new double[c];
        for (int o = 0; o < outer; o++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < inner; i++)
                {
                    int k = (o * c + ch) * inner + i;
                    y[k] = x[k] * s[ch] + (b?[ch] ?? 0f);
                    dx[k] = dy[k] * s[ch];
                    ds[ch] += (double)dy[k] * x[k];
                    db[ch] += dy[k];
                }
        return (y, dx, ds.Select(v => (float)v).ToArray(), db.Select(v => (float)v).ToArray());
    }

    [TestCaseSource(nameof(ParamCases))]
    public void LearnableScaleForwardAndBackward(string p, int[] scaleShape, int axis)
    {
        bool bias = p.Contains("bias_term: true");
        var bottom = RandomBlob("x", 1, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom], [top]);
        try
        {
            Assert.That(layer.Params, Has.Count.EqualTo(bias ? 2 : 1));
            foreach (var prm in layer.Params) Assert.That(prm.Shape, Is.EqualTo(scaleShape));
            layer.Forward([bottom], [top]);
            var s = layer.Params[0].DownloadData();
            var b = bias ? layer.Params[1].DownloadData() : null;
            var dy = RandomValues(top.Count, 2, -1, 1);
            var want = Naive(bottom.DownloadData(), s, b, dy, axis);
            AssertClose(top.DownloadData(), want.Y, 1e-6f, "top");
            top.UploadDiff(dy);
            foreach (var prm in layer.Params) prm.Device.Set(prm.Diff, 0.25f);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), want.Dx, 1e-6f, "bottom diff");
            AssertClose(layer.Params[0].DownloadDiff(), want.Ds.Select(v => v + 0.25f).ToArray(), 1e-5f, "scale diff accumulates");
            if (bias) AssertClose(layer.Params[1].DownloadDiff(), want.Db.Select(v => v + 0.25f).ToArray(), 1e-5f, "bias diff accumulates");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void DefaultFillersGiveTheIdentity()
    {
        var bottom = RandomBlob("x", 3, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp("name: 'sc' type: 'Scale' scale_param { bias_term: true }", [bottom], [top]);
        try
        {
            Assert.That(layer.Params[0].DownloadData(), Is.All.EqualTo(1f));
            Assert.That(layer.Params[1].DownloadData(), Is.All.EqualTo(0f));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), bottom.DownloadData(), 0f, "identity");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("", new[] { 3, 4 }, 1, false)]
    [TestCase("bias_term: true", new[] { 3, 4 }, 1, true)]
    [TestCase("axis: 0", new[] { 2 }, 0, false)]
    public void ScaleFromSecondBottom(string p, int[] scaleShape, int axis, bool bias)
    {
        var bottom = RandomBlob("x", 4, -1, 1, Shape);
        var scale = RandomBlob("s", 5, -1, 1, scaleShape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom, scale], [top]);
        try
        {
            Assert.That(layer.Params, Has.Count.EqualTo(bias ? 1 : 0));
            if (bias) Assert.That(layer.Params[0].Shape, Is.EqualTo(scaleShape), "bias takes bottom[1]'s axes");
            layer.Forward([bottom, scale], [top]);
            var dy = RandomValues(top.Count, 6, -1, 1);
            var want = Naive(bottom.DownloadData(), scale.DownloadData(), bias ? layer.Params[0].DownloadData() : null, dy, axis);
            AssertClose(top.DownloadData(), want.Y, 1e-6f, "top");
            top.UploadDiff(dy);
            scale.UploadDiff(Enumerable.Repeat(9f, (int)scale.Count).ToArray());
            layer.Backward([top], [true, true], [bottom, scale]);
            AssertClose(bottom.DownloadDiff(), want.Dx, 1e-6f, "bottom diff");
            AssertClose(scale.DownloadDiff(), want.Ds, 1e-5f, "scale diff is overwritten");
        }
        finally { DisposeAll(layer, bottom, scale, top); }
    }

    [Test]
    public void InPlaceKeepsTheBottomForTheScaleGradient()
    {
        var x = RandomValues(48, 7, -1, 1);
        var blob = NewBlob("x", Shape);
        blob.UploadData(x);
        var layer = SetUp(Text("bias_term: true"), [blob], [blob]);
        try
        {
            layer.Forward([blob], [blob]);
            var s = layer.Params[0].DownloadData();
            var b = layer.Params[1].DownloadData();
            var dy = RandomValues(48, 8, -1, 1);
            var want = Naive(x, s, b, dy, 1);
            AssertClose(blob.DownloadData(), want.Y, 1e-6f, "in-place top");
            blob.UploadDiff(dy);
            foreach (var prm in layer.Params) prm.Device.Set(prm.Diff, 0f);
            layer.Backward([blob], [true], [blob]);
            AssertClose(blob.DownloadDiff(), want.Dx, 1e-6f, "in-place bottom diff");
            AssertClose(layer.Params[0].DownloadDiff(), want.Ds, 1e-5f, "scale diff from the kept bottom");
            AssertClose(layer.Params[1].DownloadDiff(), want.Db, 1e-5f, "bias diff");
            Assert.That(new GradientChecker().Check(layer, [blob], [blob]), Is.EqualTo(blob.Count + 6));
        }
        finally { DisposeAll(layer, blob); }
    }

    [Test]
    public void ParameterGradientsAccumulate()
    {
        var bottom = RandomBlob("x", 11, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text("bias_term: true"), [bottom], [top]);
        try { AssertParamGradientsAccumulate(layer, bottom, top); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("", new[] { 4 }, "dimension mismatch")]
    [TestCase("axis: 3", new[] { 2, 2 }, "extends past")]
    public void ShapeErrors(string p, int[] scaleShape, string message)
    {
        var bottom = NewBlob("x", Shape);
        var scale = NewBlob("s", scaleShape);
        var top = NewBlob("y");
        var layer = Create($"name: 'sc' type: 'Scale' scale_param {{ {p} }}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom, scale], [top]));
            Assert.That(e!.Message, Does.Contain("'sc'").And.Contain(message));
        }
        finally { DisposeAll(layer, bottom, scale, top); }
    }

    [TestCaseSource(nameof(ParamCases))]
    public void GradientCheckLearnable(string p, int[] scaleShape, int axis)
    {
        var bottom = RandomBlob("x", 12, -1, 1, Shape);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), [bottom], [top]);
        try
        {
            int n = new GradientChecker().Check(layer, [bottom], [top]);
            Assert.That(n, Is.EqualTo(bottom.Count + layer.Params.Sum(q => q.Count)));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void GradientCheckSecondBottom(bool bias)
    {
        var bottom = RandomBlob("x", 13, -1, 1, Shape);
        var scale = RandomBlob("s", 14, -1, 1, 3, 4);
        var top = NewBlob("y");
        var layer = SetUp(Text(bias ? "bias_term: true" : ""), [bottom, scale], [top]);
        try
        {
            int n = new GradientChecker().Check(layer, [bottom, scale], [top]);
            Assert.That(n, Is.EqualTo(bottom.Count + scale.Count + (bias ? 12 : 0)));
        }
        finally { DisposeAll(layer, bottom, scale, top); }
    }
}
