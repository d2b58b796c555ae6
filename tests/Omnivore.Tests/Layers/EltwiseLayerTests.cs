// EltwiseLayerTests: EltwiseLayer PROD, SUM (with and without coeffs) and MAX over two and
// three bottoms against naive loops, MAX's tie rule and gradient routing, PROD's stable
// and unstable gradients, Caffe's errors, and gradient checks of every operation.
using Omnivore.Core;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class EltwiseLayerTests
{
    private static readonly int[] Shape = [2, 3, 2, 2];

    private static string Text(string p) => $"name: 'elt' type: 'Eltwise' eltwise_param {{ {p} }}";

    public static readonly object[] Cases =
    [
        new object[] { "operation: PROD", 3 },
        new object[] { "operation: PROD stable_prod_grad: false", 3 },
        new object[] { "operation: SUM", 2 },
        new object[] { "operation: SUM coeff: 1 coeff: -0.5 coeff: 2", 3 },
        new object[] { "", 3 },
        new object[] { "operation: MAX", 2 },
        new object[] { "operation: MAX", 3 },
    ];

    private static Blob[] Bottoms(int n, int seed) =>
        Enumerable.Range(0, n).Select(i =>
        {
            var b = NewBlob($"x{i}", Shape);
            // Distinct values across all bottoms: no ties for MAX, no zeros for PROD's division.
            var v = DistinctValues((int)b.Count * n, seed, 0.05f).Skip(i * (int)b.Count).Take((int)b.Count)
                .Select(x => x >= 0 ? x + 0.3f : x - 0.3f).ToArray();
            b.UploadData(v);
            return b;
        }).ToArray();

    private static float[] Naive(string p, float[][] x)
    {
        var y = new float[x[0].Length];
        var coeff = p.Contains("coeff") ? new[] { 1f, -0.5f, 2f } : [1f, 1f, 1f];
        for (int j = 0; j < y.Length; j++)
        {
            if (p.Contains("PROD")) { double v = 1; foreach (var a in x) v *= a[j]; y[j] = (float)v; }
            else if (p.Contains("MAX")) y[j] = x.Max(a => a[j]);
            else { double v = 0; for (int i = 0; i < x.Length; i++) v += coeff[i] * x[i][j]; y[j] = (float)v; }
        }
        return y;
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndBackwardMatchNaive(string p, int n)
    {
        var bottoms = Bottoms(n, 7);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), bottoms, [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(Shape));
            layer.Forward(bottoms, [top]);
            var x = bottoms.Select(b => b.DownloadData()).ToArray();
            AssertClose(top.DownloadData(), Naive(p, x), 1e-6f, p);

            var dy = RandomValues(top.Count, 8, -1, 1);
            top.UploadDiff(dy);
            layer.Backward([top], Enumerable.Repeat(true, n).ToArray(), bottoms);
            var coeff = p.Contains("coeff") ? new[] { 1f, -0.5f, 2f } : [1f, 1f, 1f];
            for (int i = 0; i < n; i++)
            {
                var expected = new float[dy.Length];
                for (int j = 0; j < dy.Length; j++)
                {
                    if (p.Contains("PROD"))
                    {
                        double others = 1;
                        for (int k = 0; k < n; k++) if (k != i) others *= x[k][j];
                        expected[j] = (float)(dy[j] * others);
                    }
                    else if (p.Contains("MAX")) expected[j] = x[i][j] == x.Max(a => a[j]) ? dy[j] : 0f;
                    else expected[j] = coeff[i] * dy[j];
                }
                AssertClose(bottoms[i].DownloadDiff(), expected, 1e-5f, $"{p}: bottom {i} diff");
            }
        }
        finally { DisposeAll(layer, [.. bottoms, top]); }
    }

    [Test]
    public void MaxTiesFollowCaffe()
    {
        // Caffe: bottom 0 wins the first pair only when strictly greater; later bottoms only when strictly greater.
        var a = NewBlob("a", 4); a.UploadData([1f, 2f, 3f, 5f]);
        var b = NewBlob("b", 4); b.UploadData([1f, 1f, 3f, 4f]);
        var c = NewBlob("c", 4); c.UploadData([1f, 2f, 4f, 5f]);
        var top = NewBlob("y");
        var layer = SetUp(Text("operation: MAX"), [a, b, c], [top]);
        try
        {
            layer.Forward([a, b, c], [top]);
            AssertClose(top.DownloadData(), [1f, 2f, 4f, 5f], 0f, "max");
            top.UploadDiff([10f, 20f, 30f, 40f]);
            layer.Backward([top], [true, true, true], [a, b, c]);
            AssertClose(a.DownloadDiff(), [0f, 20f, 0f, 40f], 0f, "a wins where strictly greater than b and not beaten");
            AssertClose(b.DownloadDiff(), [10f, 0f, 0f, 0f], 0f, "b wins the tie with a");
            AssertClose(c.DownloadDiff(), [0f, 0f, 30f, 0f], 0f, "c only where strictly greater");
        }
        finally { DisposeAll(layer, a, b, c, top); }
    }

    [TestCase("coeff: 1 coeff: 2 coeff: 3", "one coefficient per bottom")]
    [TestCase("operation: PROD coeff: 1 coeff: 2", "only takes coefficients for summation")]
    public void CoefficientErrors(string p, string message)
    {
        var bottoms = Bottoms(2, 1);
        var top = NewBlob("y");
        var layer = Create(Text(p));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp(bottoms, [top]));
            Assert.That(e!.Message, Does.Contain("'elt'").And.Contain(message));
        }
        finally { DisposeAll(layer, [.. bottoms, top]); }
    }

    [Test]
    public void ShapeMismatchIsAnError()
    {
        var a = NewBlob("a", 2, 3);
        var b = NewBlob("b", 3, 2);
        var top = NewBlob("y");
        var layer = Create(Text(""));
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([a, b], [top]));
            Assert.That(e!.Message, Does.Contain("bottom[1]: 3 2"));
        }
        finally { DisposeAll(layer, a, b, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(string p, int n)
    {
        var bottoms = Bottoms(n, 9);
        var top = NewBlob("y");
        var layer = SetUp(Text(p), bottoms, [top]);
        try
        {
            // MAX: values are at least 0.05 apart, so a step of 1e-2 never crosses a tie.
            Assert.That(new GradientChecker(step: 1e-2f).Check(layer, bottoms, [top]), Is.EqualTo(bottoms.Sum(b => b.Count)));
        }
        finally { DisposeAll(layer, [.. bottoms, top]); }
    }
}
