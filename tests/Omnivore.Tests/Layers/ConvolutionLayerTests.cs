// ConvolutionLayerTests: ConvolutionLayer forward against a naive loop convolution and
// numerical gradient checks, over pad, stride, dilation, group, non-square kernels,
// several images and bias on/off; the chunked lowering path (small LoweringBudget) must
// give the same results as lowering the whole batch at once; two bottoms share weights.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class ConvolutionLayerTests
{
    private const string Fillers =
        "weight_filler { type: 'uniform' min: -1 max: 1 } bias_filler { type: 'uniform' min: -1 max: 1 }";

    /// <summary>A convolution case: its convolution_param body and the input shape.</summary>
    public sealed record Case(string Name, string ConvParam, int N, int C, int H, int W)
    {
        public override string ToString() => Name;
        public string Text => $"name: 'conv' type: 'Convolution' convolution_param {{ {ConvParam} {Fillers} }}";
    }

    public static readonly Case[] Cases =
    [
        new("basic_k3", "num_output: 4 kernel_size: 3", 2, 3, 5, 5),
        new("pad1_stride2", "num_output: 3 kernel_size: 3 pad: 1 stride: 2", 2, 3, 5, 5),
        new("dilation2_pad1", "num_output: 2 kernel_size: 3 pad: 1 dilation: 2", 2, 2, 5, 5),
        new("group2", "num_output: 4 kernel_size: 3 pad: 1 group: 2", 2, 4, 4, 4),
        new("kernel3x2_pad_h_stride_w", "num_output: 3 kernel_h: 3 kernel_w: 2 pad_h: 1 pad_w: 0 stride_h: 1 stride_w: 2", 2, 2, 5, 6),
        new("no_bias_single_image", "num_output: 3 kernel_size: 2 bias_term: false", 1, 3, 4, 5),
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesNaiveConvolution(Case c)
    {
        var bottom = RandomBlob("x", 11, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            var expected = Naive(layer, bottom, out int oh, out int ow);
            Assert.That(top.Shape, Is.EqualTo(new[] { c.N, (int)layer.Param.ConvolutionParam.NumOutput, oh, ow }));
            Assert.That(layer.Params, Has.Count.EqualTo(layer.Param.ConvolutionParam.BiasTerm ? 2 : 1));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), expected, 1e-5f, c.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(Case c)
    {
        var bottom = RandomBlob("x", 12, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            int n = new GradientChecker().Check(layer, [bottom], [top]);
            long expected = bottom.Count + layer.Params.Sum(p => p.Count);
            Assert.That(n, Is.EqualTo(expected));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void ChunkedLoweringMatchesWholeBatch()
    {
        var c = new Case("chunked", "num_output: 4 kernel_size: 3 pad: 1 stride: 2 group: 2", 5, 4, 5, 5);
        var whole = RunForwardBackward(c, budget: null, out int wholeChunk);
        var chunked = RunForwardBackward(c, budget: 2L * (4 * 3 * 3) * (3 * 3), out int chunk);
        Assert.That(wholeChunk, Is.EqualTo(5));
        Assert.That(chunk, Is.EqualTo(2), "2 images per lowering -> chunks of 2, 2, 1");
        AssertClose(chunked.Top, whole.Top, 1e-6f, "top");
        AssertClose(chunked.BottomDiff, whole.BottomDiff, 1e-6f, "bottom diff");
        AssertClose(chunked.WeightDiff, whole.WeightDiff, 1e-5f, "weight diff");
        AssertClose(chunked.BiasDiff, whole.BiasDiff, 1e-5f, "bias diff");
    }

    [Test]
    public void ChunkedLoweringGradientCheck()
    {
        var c = new Case("chunked", "num_output: 2 kernel_size: 3 pad: 1", 3, 2, 4, 4);
        var saved = ConvolutionLayer.LoweringBudget;
        var bottom = RandomBlob("x", 13, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        Layer? layer = null;
        try
        {
            ConvolutionLayer.LoweringBudget = 2 * 3 * 3 * 16; // one image per lowering
            layer = SetUp(c.Text, [bottom], [top]);
            Assert.That(((ConvolutionLayer)layer).ImagesPerLowering, Is.EqualTo(1));
            new GradientChecker().Check(layer, [bottom], [top]);
        }
        finally
        {
            ConvolutionLayer.LoweringBudget = saved;
            DisposeAll(layer, bottom, top);
        }
    }

    [Test]
    public void TwoBottomsShareWeights()
    {
        var c = new Case("two", "num_output: 2 kernel_size: 2 stride: 2", 2, 2, 4, 4);
        var b0 = RandomBlob("x0", 14, -1, 1, c.N, c.C, c.H, c.W);
        var b1 = RandomBlob("x1", 15, -1, 1, c.N, c.C, c.H, c.W);
        var t0 = NewBlob("y0");
        var t1 = NewBlob("y1");
        var layer = SetUp(c.Text, [b0, b1], [t0, t1]);
        try
        {
            layer.Forward([b0, b1], [t0, t1]);
            AssertClose(t0.DownloadData(), Naive(layer, b0, out _, out _), 1e-5f, "top 0");
            AssertClose(t1.DownloadData(), Naive(layer, b1, out _, out _), 1e-5f, "top 1");
            new GradientChecker().Check(layer, [b0, b1], [t0, t1]);
        }
        finally { DisposeAll(layer, b0, b1, t0, t1); }
    }

    [Test]
    public void ParameterGradientsAccumulate()
    {
        var c = Cases[3];
        var bottom = RandomBlob("x", 18, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try { AssertParamGradientsAccumulate(layer, bottom, top); }
        finally { DisposeAll(layer, bottom, top); }
    }

    private sealed record Results(float[] Top, float[] BottomDiff, float[] WeightDiff, float[] BiasDiff);

    private static Results RunForwardBackward(Case c, long? budget, out int chunk)
    {
        var saved = ConvolutionLayer.LoweringBudget;
        var bottom = RandomBlob("x", 16, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        Layer? layer = null;
        try
        {
            if (budget is long b) ConvolutionLayer.LoweringBudget = b;
            layer = SetUp(c.Text, [bottom], [top]);
            chunk = ((ConvolutionLayer)layer).ImagesPerLowering;
            layer.Forward([bottom], [top]);
            top.UploadDiff(RandomValues(top.Count, 17, -1, 1));
            layer.Backward([top], [true], [bottom]);
            return new Results(top.DownloadData(), bottom.DownloadDiff(),
                layer.Params[0].DownloadDiff(), layer.Params[1].DownloadDiff());
        }
        finally
        {
            ConvolutionLayer.LoweringBudget = saved;
            DisposeAll(layer, bottom, top);
        }
    }

    /// <summary>Direct loop convolution with the layer's own weights and parameters.</summary>
    private static float[] Naive(Layer layer, Blob bottom, out int oh, out int ow)
    {
        var p = layer.Param.ConvolutionParam;
        int n = bottom[0], cin = bottom[1], h = bottom[2], w = bottom[3];
        int cout = (int)p.NumOutput, group = (int)p.Group;
        int kh = p.HasKernelH ? (int)p.KernelH : (int)p.KernelSize[0], kw = p.HasKernelW ? (int)p.KernelW : (int)p.KernelSize[0];
        int ph = p.HasPadH ? (int)p.PadH : p.Pad.Count > 0 ? (int)p.Pad[0] : 0;
        int pw = p.HasPadW ? (int)p.PadW : p.Pad.Count > 0 ? (int)p.Pad[0] : 0;
        int sh = p.HasStrideH ? (int)p.StrideH : p.Stride.Count > 0 ? (int)p.Stride[0] : 1;
        int sw = p.HasStrideW ? (int)p.StrideW : p.Stride.Count > 0 ? (int)p.Stride[0] : 1;
        int dil = p.Dilation.Count > 0 ? (int)p.Dilation[0] : 1;
        oh = (h + 2 * ph - (dil * (kh - 1) + 1)) / sh + 1;
        ow = (w + 2 * pw - (dil * (kw - 1) + 1)) / sw + 1;
        var x = bottom.DownloadData();
        var wt = layer.Params[0].DownloadData();
        var bias = p.BiasTerm ? layer.Params[1].DownloadData() : null;
        int cg = cin / group, og = cout / group;
        var y = new float[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
        for (int o = 0; o < cout; o++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double s = bias?[o] ?? 0;
            int g = o / og;
            for (int ci = 0; ci < cg; ci++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int iy = oy * sh - ph + ky * dil, ix = ox * sw - pw + kx * dil;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                int c = g * cg + ci;
                s += wt[((o * cg + ci) * kh + ky) * kw + kx] * x[((i * cin + c) * h + iy) * w + ix];
            }
            y[((i * cout + o) * oh + oy) * ow + ox] = (float)s;
        }
        return y;
    }
}
