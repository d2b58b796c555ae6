// LrnLayerTests: ACROSS_CHANNELS LRN forward against the naive formula
//   y = x * (k + alpha/size * sum of x^2 over the `size` channels centred on c)^-beta
// (window clipped at the first and last channels); WITHIN_CHANNEL forward against a naive
// reference of Caffe's composition (square, AVE pooling size x size with pad (size-1)/2 and
// Caffe's divisor rule, 1 + alpha * pooled, power -beta, product; k unused); gradient
// checks of both; the clear errors for an even local_size and in-place use.
using System.Globalization;
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class LrnLayerTests
{
    public sealed record Case(string Name, int Size, float Alpha, float Beta, float K)
    {
        public override string ToString() => Name;
        public string Text => string.Format(CultureInfo.InvariantCulture,
            "name: 'norm' type: 'LRN' lrn_param {{ local_size: {0} alpha: {1:0.#########} beta: {2} k: {3} }}", Size, Alpha, Beta, K);
    }

    public static readonly Case[] Cases =
    [
        new("caffenet_size5", 5, 1e-4f, 0.75f, 1f),
        new("size5_strong", 5, 2f, 0.75f, 1f),
        new("size3_k2_beta1", 3, 1.5f, 1f, 2f),
        new("size1", 1, 0.5f, 0.5f, 1f),
    ];

    private static float[] Naive(float[] x, int n, int c, int hw, Case p)
    {
        var y = new float[x.Length];
        int half = (p.Size - 1) / 2;
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int s = 0; s < hw; s++)
        {
            double sum = 0;
            for (int j = Math.Max(0, ch - half); j <= Math.Min(c - 1, ch + half); j++)
            {
                double v = x[(i * c + j) * hw + s];
                sum += v * v;
            }
            int idx = (i * c + ch) * hw + s;
            y[idx] = (float)(x[idx] * Math.Pow(p.K + p.Alpha / p.Size * sum, -p.Beta));
        }
        return y;
    }

    [TestCaseSource(nameof(Cases))]
    public void AcrossChannelsForwardMatchesFormula(Case p)
    {
        var bottom = RandomBlob("x", 91, -2, 2, 2, 7, 3, 3);
        var top = NewBlob("y");
        var layer = SetUp(p.Text, [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(bottom.Shape));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), Naive(bottom.DownloadData(), 2, 7, 9, p), 1e-5f, p.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(Case p)
    {
        var bottom = RandomBlob("x", 92, -1.5f, 1.5f, 2, 7, 2, 3);
        var top = NewBlob("y");
        var layer = SetUp(p.Text, [bottom], [top]);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void DefaultsAreCaffes()
    {
        // local_size 5, alpha 1, beta 0.75, k 1.
        var bottom = RandomBlob("x", 93, -1, 1, 1, 6, 2, 2);
        var top = NewBlob("y");
        var layer = SetUp("name: 'norm' type: 'LRN'", [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), Naive(bottom.DownloadData(), 1, 6, 4, new("defaults", 5, 1f, 0.75f, 1f)), 1e-5f, "defaults");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCase("local_size: 4", "local_size 4")]
    [TestCase("local_size: 2 norm_region: WITHIN_CHANNEL", "local_size 2")]
    public void UnsupportedSettingsAreClearErrors(string lrnParam, string mentioned)
    {
        var bottom = NewBlob("x", 1, 3, 2, 2);
        var top = NewBlob("y");
        var layer = Create($"name: 'norm' type: 'LRN' lrn_param {{ {lrnParam} }}");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'norm'").And.Contain(mentioned));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    // ---- WITHIN_CHANNEL ----

    public static readonly Case[] WithinCases =
    [
        new("within_size3", 3, 0.5f, 0.75f, 1f),
        new("within_size5_k_ignored", 5, 2f, 0.75f, 7f),
        new("within_size1", 1, 1.5f, 0.5f, 1f),
        new("within_size7_wider_than_image", 7, 3f, 1f, 1f),
    ];

    private static string WithinText(Case p) => p.Text.Replace(" }", " norm_region: WITHIN_CHANNEL }");

    /// <summary>Caffe's WITHIN_CHANNEL composition written out with its AVE-pooling divisor rule.</summary>
    private static float[] NaiveWithin(float[] x, int planes, int h, int w, Case p)
    {
        int pad = (p.Size - 1) / 2;
        var y = new float[x.Length];
        for (int q = 0; q < planes; q++)
        for (int oy = 0; oy < h; oy++)
        for (int ox = 0; ox < w; ox++)
        {
            int hs = oy - pad, ws = ox - pad;
            int he = Math.Min(hs + p.Size, h + pad), we = Math.Min(ws + p.Size, w + pad);
            int poolSize = (he - hs) * (we - ws); // padding counts, as in Caffe's AVE pooling
            double sum = 0;
            for (int yy = Math.Max(hs, 0); yy < Math.Min(he, h); yy++)
            for (int xx = Math.Max(ws, 0); xx < Math.Min(we, w); xx++)
            {
                double v = x[(q * h + yy) * w + xx];
                sum += v * v;
            }
            int idx = (q * h + oy) * w + ox;
            y[idx] = (float)(x[idx] * Math.Pow(1 + p.Alpha * (sum / poolSize), -p.Beta));
        }
        return y;
    }

    [TestCaseSource(nameof(WithinCases))]
    public void WithinChannelForwardMatchesCaffesComposition(Case p)
    {
        var bottom = RandomBlob("x", 94, -2, 2, 2, 3, 5, 4);
        var top = NewBlob("y");
        var layer = SetUp(WithinText(p), [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(bottom.Shape));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), NaiveWithin(bottom.DownloadData(), 6, 5, 4, p), 1e-5f, p.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void WithinChannelBorderDivisorIsTheFullWindow()
    {
        // One 3x3 plane of ones, size 3: the corner window holds 4 pixels but Caffe divides by 9.
        var bottom = NewBlob("x", 1, 1, 3, 3);
        bottom.UploadData(Enumerable.Repeat(1f, 9).ToArray());
        var top = NewBlob("y");
        var layer = SetUp("name: 'norm' type: 'LRN' lrn_param { local_size: 3 alpha: 1 beta: 1 norm_region: WITHIN_CHANNEL }",
                          [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            var y = top.DownloadData();
            Assert.That(y[0], Is.EqualTo(1 / (1 + 4 / 9f)).Within(1e-6), "corner");
            Assert.That(y[1], Is.EqualTo(1 / (1 + 6 / 9f)).Within(1e-6), "edge");
            Assert.That(y[4], Is.EqualTo(1 / (1 + 9 / 9f)).Within(1e-6), "centre");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(WithinCases))]
    public void WithinChannelGradientCheck(Case p)
    {
        var bottom = RandomBlob("x", 95, -1.5f, 1.5f, 2, 2, 4, 3);
        var top = NewBlob("y");
        var layer = SetUp(WithinText(p), [bottom], [top]);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void InPlaceIsAnError()
    {
        var blob = NewBlob("x", 1, 3, 2, 2);
        var layer = Create("name: 'norm' type: 'LRN'");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([blob], [blob]));
            Assert.That(e!.Message, Does.Contain("in place"));
        }
        finally { DisposeAll(layer, blob); }
    }
}
