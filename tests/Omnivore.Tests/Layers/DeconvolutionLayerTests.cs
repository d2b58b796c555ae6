// DeconvolutionLayerTests: DeconvolutionLayer forward against a naive scatter loop (each
// input pixel adds weight * value to the output window it maps to), Caffe's weight shape
// (C_in, num_output/group, KH, KW) and output size stride*(in-1) + dilated kernel - 2*pad,
// numerical gradient checks over pad, stride, dilation, group, non-square kernels and bias
// on/off, the chunked lowering path against the whole batch, two bottoms sharing weights,
// and accumulating parameter gradients.
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class DeconvolutionLayerTests
{
    private const string Fillers =
        "weight_filler { type: 'uniform' min: -1 max: 1 } bias_filler { type: 'uniform' min: -1 max: 1 }";

    public sealed record Case(string Name, string ConvParam, int N, int C, int H, int W)
    {
        public override string ToString() => Name;
        public string Text => $"name: 'deconv' type: 'Deconvolution' convolution_param {{ {ConvParam} {Fillers} }}";
    }

    public static readonly Case[] Cases =
    [
        new("basic_k3", "num_output: 2 kernel_size: 3", 2, 3, 3, 4),
        new("upsample_k4_s2_p1", "num_output: 3 kernel_size: 4 stride: 2 pad: 1", 2, 2, 3, 3),
        new("stride3_k2", "num_output: 2 kernel_size: 2 stride: 3", 1, 2, 3, 2),
        new("dilation2_pad1", "num_output: 2 kernel_size: 3 pad: 1 dilation: 2", 2, 2, 3, 3),
        new("group2", "num_output: 4 kernel_size: 3 stride: 2 group: 2", 2, 4, 3, 3),
        new("kernel3x2_pad_h_stride_w", "num_output: 3 kernel_h: 3 kernel_w: 2 pad_h: 1 stride_h: 1 stride_w: 2", 2, 2, 3, 4),
        new("no_bias_single_image", "num_output: 3 kernel_size: 2 bias_term: false", 1, 3, 3, 3),
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesNaiveTransposedConvolution(Case c)
    {
        var bottom = RandomBlob("x", 21, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            var p = layer.Param.ConvolutionParam;
            var expected = Naive(layer, bottom, out int oh, out int ow);
            Assert.That(top.Shape, Is.EqualTo(new[] { c.N, (int)p.NumOutput, oh, ow }));
            Assert.That(layer.Params[0].Shape, Is.EqualTo(new[] { c.C, (int)(p.NumOutput / p.Group), Kernel(p).H, Kernel(p).W }),
                        "Caffe's deconvolution weight shape");
            Assert.That(layer.Params, Has.Count.EqualTo(p.BiasTerm ? 2 : 1));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), expected, 1e-5f, c.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void OutputSizeIsCaffes()
    {
        // 5x4 input, kernel 3, stride 2, pad 1, dilation 2: 2*(5-1) + (2*2+1) - 2 = 11, 2*(4-1) + 5 - 2 = 9.
        var bottom = NewBlob("x", 1, 1, 5, 4);
        var top = NewBlob("y");
        var layer = SetUp("name: 'd' type: 'Deconvolution' convolution_param { num_output: 1 kernel_size: 3 stride: 2 pad: 1 dilation: 2 }",
                          [bottom], [top]);
        try { Assert.That(top.Shape, Is.EqualTo(new[] { 1, 1, 11, 9 })); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(Case c)
    {
        var bottom = RandomBlob("x", 22, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            int n = new GradientChecker().Check(layer, [bottom], [top]);
            Assert.That(n, Is.EqualTo(bottom.Count + layer.Params.Sum(p => p.Count)));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void ChunkedLoweringMatchesWholeBatch()
    {
        var c = new Case("chunked", "num_output: 4 kernel_size: 3 pad: 1 stride: 2 group: 2", 5, 4, 3, 3);
        var whole = RunForwardBackward(c, budget: null, out int wholeChunk);
        var chunked = RunForwardBackward(c, budget: 2L * (4 * 3 * 3) * (3 * 3), out int chunk);
        Assert.That(wholeChunk, Is.EqualTo(5));
        Assert.That(chunk, Is.EqualTo(2), "2 images per lowering -> chunks of 2, 2, 1");
        for (int i = 0; i < whole.Length; i++) AssertClose(chunked[i], whole[i], 1e-5f, $"result {i}");
    }

    [Test]
    public void TwoBottomsShareWeights()
    {
        var c = new Case("two", "num_output: 2 kernel_size: 2 stride: 2", 2, 2, 2, 3);
        var b0 = RandomBlob("x0", 24, -1, 1, c.N, c.C, c.H, c.W);
        var b1 = RandomBlob("x1", 25, -1, 1, c.N, c.C, c.H, c.W);
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
        var c = Cases[4];
        var bottom = RandomBlob("x", 26, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try { AssertParamGradientsAccumulate(layer, bottom, top); }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void GroupMustDivideChannels()
    {
        var bottom = NewBlob("x", 1, 3, 2, 2);
        var top = NewBlob("y");
        var layer = Create("name: 'd' type: 'Deconvolution' convolution_param { num_output: 4 kernel_size: 2 group: 2 }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'d'").And.Contain("group 2"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    private static float[][] RunForwardBackward(Case c, long? budget, out int chunk)
    {
        var saved = ConvolutionLayer.LoweringBudget;
        var bottom = RandomBlob("x", 27, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        Layer? layer = null;
        try
        {
            if (budget is long b) ConvolutionLayer.LoweringBudget = b;
            layer = SetUp(c.Text, [bottom], [top]);
            chunk = ((DeconvolutionLayer)layer).ImagesPerLowering;
            layer.Forward([bottom], [top]);
            top.UploadDiff(RandomValues(top.Count, 28, -1, 1));
            layer.Backward([top], [true], [bottom]);
            return [top.DownloadData(), bottom.DownloadDiff(), layer.Params[0].DownloadDiff(), layer.Params[1].DownloadDiff()];
        }
        finally
        {
            ConvolutionLayer.LoweringBudget = saved;
            DisposeAll(layer, bottom, top);
        }
    }

    private static (int H, int W) Kernel(Omnivore.Model.Caffe.ConvolutionParameter p) =>
        (p.HasKernelH ? (int)p.KernelH : (int)p.KernelSize[0], p.HasKernelW ? (int)p.KernelW : (int)p.KernelSize[0]);

    /// <summary>Transposed convolution by scattering every input pixel through the kernel.</summary>
    private static float[] Naive(Layer layer, Blob bottom, out int oh, out int ow)
    {
        var p = layer.Param.ConvolutionParam;
        int n = bottom[0], cin = bottom[1], h = bottom[2], w = bottom[3];
        int cout = (int)p.NumOutput, group = (int)p.Group;
        var (kh, kw) = Kernel(p);
        int ph = p.HasPadH ? (int)p.PadH : p.Pad.Count > 0 ? (int)p.Pad[0] : 0;
        int pw = p.HasPadW ? (int)p.PadW : p.Pad.Count > 0 ? (int)p.Pad[0] : 0;
        int sh = p.HasStrideH ? (int)p.StrideH : p.Stride.Count > 0 ? (int)p.Stride[0] : 1;
        int sw = p.HasStrideW ? (int)p.StrideW : p.Stride.Count > 0 ? (int)p.Stride[0] : 1;
        int dil = p.Dilation.Count > 0 ? (int)p.Dilation[0] : 1;
        oh = sh * (h - 1) + dil * (kh - 1) + 1 - 2 * ph;
        ow = sw * (w - 1) + dil * (kw - 1) + 1 - 2 * pw;
        var x = bottom.DownloadData();
        var wt = layer.Params[0].DownloadData();
        var bias = p.BiasTerm ? layer.Params[1].DownloadData() : null;
        int cg = cin / group, og = cout / group;
        var y = new double[n * cout * oh * ow];
        for (int i = 0; i < n; i++)
        for (int c = 0; c < cin; c++)
        for (int iy = 0; iy < h; iy++)
        for (int ix = 0; ix < w; ix++)
        {
            int g = c / cg;
            double v = x[((i * cin + c) * h + iy) * w + ix];
            for (int ol = 0; ol < og; ol++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int oy = iy * sh - ph + ky * dil, ox = ix * sw - pw + kx * dil;
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                int o = g * og + ol;
                y[((i * cout + o) * oh + oy) * ow + ox] += wt[((c * og + ol) * kh + ky) * kw + kx] * v;
            }
        }
        var result = new float[y.Length];
        for (int j = 0; j < y.Length; j++)
            result[j] = (float)(y[j] + (bias?[j / (oh * ow) % cout] ?? 0));
        return result;
    }
}
