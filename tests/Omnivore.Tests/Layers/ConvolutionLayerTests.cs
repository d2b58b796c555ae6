// ConvolutionLayerTests: ConvolutionLayer forward against a naive loop convolution and
// numerical gradient checks, over pad, stride, dilation, group, non-square kernels,
// several images and bias on/off; every execution plan of the convolution engine
// (partitions x images per lowering, odd batches, Caffe's per-image mode) must give the
// same results as lowering the whole batch at once; two bottoms share weights.
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Layers;
using Omnivore.Model.Caffe;
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

    public static readonly Case[] PlanCases =
    [
        new("group2_stride2_n5", "num_output: 4 kernel_size: 3 pad: 1 stride: 2 group: 2", 5, 4, 5, 5),
        new("dilation_n7", "num_output: 3 kernel_size: 3 pad: 2 dilation: 2", 7, 2, 6, 5),
        new("no_bias_n3", "num_output: 3 kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 bias_term: false", 3, 3, 5, 7),
    ];

    private static readonly ConvPlan[] Plans =
        [new(1, 2), new(2, 1), new(2, 2), new(3, 2), new(4, 1), new(2, 64), ConvPlan.Caffe,
         ConvPlan.Packed(1), ConvPlan.Packed(2), ConvPlan.Packed(3)];

    private static bool Runs(ConvPlan plan) => Device.ConvSupports(plan.Mode);

    /// <summary>Every plan (partitions run concurrently, odd batches, Caffe's mode) equals one whole-batch lowering.</summary>
    [TestCaseSource(nameof(PlanCases))]
    public void PlansMatchWholeBatchLowering(Case c)
    {
        var whole = RunForwardBackward(c, new ConvPlan(1, c.N), out var wholePlan);
        Assert.That(wholePlan, Is.EqualTo(new ConvPlan(1, c.N)));
        AssertClose(whole.Top, Naive(c), 1e-5f, "whole-batch top vs naive");
        foreach (var plan in Plans.Where(Runs))
        {
            var r = RunForwardBackward(c, plan, out var used);
            Assert.That(used.Partitions, Is.EqualTo(plan.Partitions));
            Assert.That(used.ImagesPerLowering, Is.EqualTo(Math.Min(plan.ImagesPerLowering, (c.N + plan.Partitions - 1) / plan.Partitions)));
            AssertClose(r.Top, whole.Top, 1e-5f, $"top {plan}");
            AssertClose(r.BottomDiff, whole.BottomDiff, 1e-5f, $"bottom diff {plan}");
            AssertClose(r.WeightDiff, whole.WeightDiff, 1e-4f, $"weight diff {plan}");
            AssertClose(r.BiasDiff, whole.BiasDiff, 1e-4f, $"bias diff {plan}");
        }
    }

    [TestCase(2, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 1)]
    [TestCase(1, 1)]
    public void PartitionedPlanGradientCheck(int partitions, int images)
    {
        var c = new Case("partitioned", "num_output: 2 kernel_size: 3 pad: 1 group: 2", 3, 2, 4, 4);
        var bottom = RandomBlob("x", 13, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        using var engine = Forced(partitions, images);
        Layer? layer = null;
        try
        {
            layer = LayerRegistry.Create(new LayerContext(Param(c.Text), Device, Phase.Train, new Rng(1701), engine));
            layer.SetUp([bottom], [top]);
            Assert.That(((ConvolutionLayer)layer).Plan, Is.EqualTo(new ConvPlan(partitions, images)));
            new GradientChecker().Check(layer, [bottom], [top]);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    private static ConvEngine Forced(int partitions, int images, ConvMode mode = ConvMode.Batched) =>
        new(Device, new ConvEngineOptions { Mode = mode, Partitions = partitions, ImagesPerLowering = images, CachePath = "" });

    /// <summary>The packed engine (where this CPU runs it): numerical gradients, 1 to 3 partitions.</summary>
    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void PackedPlanGradientCheck(int partitions)
    {
        if (!Device.ConvSupports(ConvMode.Packed)) Assert.Ignore("this CPU lacks AVX-512 (F, DQ, BW, VL): the packed engine does not run here");
        var c = new Case("packed", "num_output: 14 kernel_size: 3 pad: 1 stride: 2 group: 2", 5, 4, 7, 6);
        var bottom = RandomBlob("x", 23, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        using var engine = Forced(partitions, 1, ConvMode.Packed);
        Layer? layer = null;
        try
        {
            layer = LayerRegistry.Create(new LayerContext(Param(c.Text), Device, Phase.Train, new Rng(1701), engine));
            layer.SetUp([bottom], [top]);
            Assert.That(((ConvolutionLayer)layer).Plan, Is.EqualTo(ConvPlan.Packed(partitions)));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), Naive(layer, bottom, out _, out _), 1e-5f, "packed top vs naive");
            new GradientChecker().Check(layer, [bottom], [top]);
        }
        finally { DisposeAll(layer, bottom, top); }
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

    private static Results RunForwardBackward(Case c, ConvPlan plan, out ConvPlan used)
    {
        var bottom = RandomBlob("x", 16, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        using var engine = plan.Mode == ConvMode.Caffe
            ? new ConvEngine(Device, new ConvEngineOptions { Mode = ConvMode.Caffe, CachePath = "" })
            : Forced(plan.Partitions, plan.ImagesPerLowering, plan.Mode);
        Layer? layer = null;
        try
        {
            layer = LayerRegistry.Create(new LayerContext(Param(c.Text), Device, Phase.Train, new Rng(1701), engine));
            layer.SetUp([bottom], [top]);
            used = ((ConvolutionLayer)layer).Plan;
            layer.Forward([bottom], [top]);
            // Non-zero gradients beforehand: the layer must accumulate into them.
            foreach (var p in layer.Params) p.UploadDiff(RandomValues(p.Count, 19, -1, 1));
            top.UploadDiff(RandomValues(top.Count, 17, -1, 1));
            layer.Backward([top], [true], [bottom]);
            return new Results(top.DownloadData(), bottom.DownloadDiff(), layer.Params[0].DownloadDiff(),
                layer.Params.Count > 1 ? layer.Params[1].DownloadDiff() : []);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    private static float[] Naive(Case c)
    {
        var bottom = RandomBlob("x", 16, -1, 1, c.N, c.C, c.H, c.W);
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try { return Naive(layer, bottom, out _, out _); }
        finally { DisposeAll(layer, bottom, top); }
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
