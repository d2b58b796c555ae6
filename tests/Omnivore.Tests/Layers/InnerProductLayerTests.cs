// InnerProductLayerTests: InnerProductLayer forward against a naive matrix product,
// with and without bias, transpose: true (weights stored K x N) and a non-default axis,
// plus numerical gradient checks of each variant.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class InnerProductLayerTests
{
    public sealed record Case(string Name, string IpParam, int[] Shape, int[] TopShape)
    {
        public override string ToString() => Name;
        public string Text => $"name: 'ip' type: 'InnerProduct' inner_product_param {{ {IpParam} " +
                              "weight_filler { type: 'uniform' min: -1 max: 1 } bias_filler { type: 'uniform' min: -1 max: 1 } }";
        public bool Transpose => IpParam.Contains("transpose: true");
        public bool Bias => !IpParam.Contains("bias_term: false");
    }

    public static readonly Case[] Cases =
    [
        new("default_axis_4d", "num_output: 4", [2, 3, 2, 2], [2, 4]),
        new("no_bias", "num_output: 3 bias_term: false", [3, 5], [3, 3]),
        new("transpose", "num_output: 4 transpose: true", [2, 3, 2, 2], [2, 4]),
        new("axis2", "num_output: 3 axis: 2", [2, 3, 4], [2, 3, 3]),
        new("axis_minus1_transpose", "num_output: 2 axis: -1 transpose: true", [2, 2, 5], [2, 2, 2]),
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesNaiveProduct(Case c)
    {
        var bottom = RandomBlob("x", 21, -1, 1, c.Shape);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(c.TopShape));
            int n = c.TopShape[^1];
            int m = (int)(top.Count / n), k = (int)(bottom.Count / m);
            Assert.That(layer.Params[0].Shape, Is.EqualTo(c.Transpose ? new[] { k, n } : new[] { n, k }));
            Assert.That(layer.Params, Has.Count.EqualTo(c.Bias ? 2 : 1));
            var x = bottom.DownloadData();
            var w = layer.Params[0].DownloadData();
            var b = c.Bias ? layer.Params[1].DownloadData() : null;
            var expected = new float[m * n];
            for (int i = 0; i < m; i++)
            for (int o = 0; o < n; o++)
            {
                double s = b?[o] ?? 0;
                for (int j = 0; j < k; j++)
                    s += x[i * k + j] * (c.Transpose ? w[j * n + o] : w[o * k + j]);
                expected[i * n + o] = (float)s;
            }
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), expected, 1e-5f, c.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(Case c)
    {
        var bottom = RandomBlob("x", 22, -1, 1, c.Shape);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            int n = new GradientChecker().Check(layer, [bottom], [top]);
            Assert.That(n, Is.EqualTo(bottom.Count + layer.Params.Sum(p => p.Count)));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void ParameterGradientsAccumulate(Case c)
    {
        var bottom = RandomBlob("x", 24, -1, 1, c.Shape);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try { AssertParamGradientsAccumulate(layer, bottom, top); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void InputSizeChangeIsAClearError()
    {
        var bottom = RandomBlob("x", 23, -1, 1, 2, 6);
        var top = NewBlob("y");
        var layer = SetUp("name: 'ip' type: 'InnerProduct' inner_product_param { num_output: 2 }", [bottom], [top]);
        try
        {
            bottom.Reshape(2, 7);
            var e = Assert.Throws<OmnivoreException>(() => layer.Reshape([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'ip'").And.Contain("7"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }
}
