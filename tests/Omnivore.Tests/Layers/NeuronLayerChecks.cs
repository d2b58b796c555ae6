// NeuronLayerChecks: the checks every elementwise neuron layer test runs, given the
// layer's prototxt and a naive reference written in the test: forward against f(x) and
// backward against dy * f'(x) (both in double), in-place use matching out-of-place use
// bit for bit, and the shared GradientChecker out of place and in place.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

internal static class NeuronLayerChecks
{
    private static readonly int[] Shape = [2, 3, 4, 5];

    /// <summary>Forward vs f, backward vs dy * df, out of place, on inputs uniform in [min, max).</summary>
    public static void ForwardBackward(string text, Func<double, double> f, Func<double, double> df,
                                       float min, float max, int seed, float tol = 1e-5f, float[]? extra = null)
    {
        var x = RandomValues(2 * 3 * 4 * 5, seed, min, max);
        if (extra is not null) Array.Copy(extra, x, extra.Length);
        var bottom = NewBlob("x", Shape);
        bottom.UploadData(x);
        var top = NewBlob("y");
        var layer = SetUp(text, [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(Shape));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), x.Select(v => (float)f(v)).ToArray(), tol, "forward");
            var dy = RandomValues(top.Count, seed + 1, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], [true], [bottom]);
            AssertClose(bottom.DownloadDiff(), x.Select((v, i) => (float)(dy[i] * df(v))).ToArray(), tol, "backward");
            Assert.That(bottom.DownloadData(), Is.EqualTo(x), "forward must not change the bottom");
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    /// <summary>In place (top == bottom) gives the same top data and bottom diff as out of place.</summary>
    public static void InPlaceMatchesOutOfPlace(string text, float min, float max, int seed)
    {
        var x = RandomValues(2 * 3 * 4 * 5, seed, min, max);
        var dy = RandomValues(x.Length, seed + 1, -1, 1);
        var bottom = NewBlob("x", Shape);
        var top = NewBlob("y");
        var blob = NewBlob("xy", Shape);
        bottom.UploadData(x);
        blob.UploadData(x);
        var outOfPlace = SetUp(text, [bottom], [top]);
        var inPlace = SetUp(text, [blob], [blob]);
        try
        {
            outOfPlace.Forward([bottom], [top]);
            inPlace.Forward([blob], [blob]);
            Assert.That(blob.DownloadData(), Is.EqualTo(top.DownloadData()), "in-place forward");
            top.UploadDiff(dy);
            blob.UploadDiff(dy);
            outOfPlace.Backward([top], [true], [bottom]);
            inPlace.Backward([blob], [true], [blob]);
            Assert.That(blob.DownloadDiff(), Is.EqualTo(bottom.DownloadDiff()), "in-place backward");
        }
        finally
        {
            DisposeAll(outOfPlace, bottom, top);
            DisposeAll(inPlace, blob);
        }
    }

    /// <summary>The shared gradient check, out of place and in place; returns the points compared.</summary>
    public static void GradientCheck(string text, float min, float max, int seed, float kink = 0f, float kinkRange = -1f,
                                     float step = 1e-2f, float threshold = 1e-2f)
    {
        var checker = new GradientChecker(step, threshold, kink: kink, kinkRange: kinkRange);
        var bottom = RandomBlob("x", seed, min, max, 2, 3, 3, 2);
        var top = NewBlob("y");
        var layer = SetUp(text, [bottom], [top]);
        var blob = RandomBlob("xy", seed, min, max, 2, 3, 3, 2);
        var inPlace = SetUp(text, [blob], [blob]);
        try
        {
            int n = checker.Check(layer, [bottom], [top]);
            Assert.That(n, Is.GreaterThan(bottom.Count * 8 / 10), "too many points skipped near the kink");
            checker.Check(inPlace, [blob], [blob]);
        }
        finally
        {
            DisposeAll(layer, bottom, top);
            DisposeAll(inPlace, blob);
        }
    }

    public static string F(float v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
