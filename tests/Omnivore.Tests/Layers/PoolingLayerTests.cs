// PoolingLayerTests: Caffe's pooled-size rule (ceil, with the last window dropped when
// it would start in the padding; and round_mode FLOOR), MAX and AVE forward against naive
// loops (pad, stride, non-square kernels, global pooling), and gradient checks. MAX
// inputs are distinct values 0.1 apart, so the finite-difference step never moves the
// argmax of a window (Caffe's kink problem).
using Omnivore.Core;
using Omnivore.Layers;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class PoolingLayerTests
{
    [TestCase(55, 3, 0, 2, true, 27, TestName = "PooledSize_CaffeNetPool1_55_k3s2_27")]
    [TestCase(27, 3, 0, 2, true, 13, TestName = "PooledSize_CaffeNetPool2_27_k3s2_13")]
    [TestCase(13, 3, 0, 2, true, 6, TestName = "PooledSize_CaffeNetPool5_13_k3s2_6")]
    [TestCase(112, 3, 0, 2, true, 56, TestName = "PooledSize_Ceil_112_k3s2_56")]
    [TestCase(112, 3, 0, 2, false, 55, TestName = "PooledSize_Floor_112_k3s2_55")]
    [TestCase(6, 3, 1, 2, true, 4, TestName = "PooledSize_Ceil_6_k3s2p1_4")]
    [TestCase(6, 3, 1, 2, false, 3, TestName = "PooledSize_Floor_6_k3s2p1_3")]
    [TestCase(5, 2, 1, 2, true, 3, TestName = "PooledSize_LastWindowInPaddingDropped_5_k2s2p1_3")]
    [TestCase(28, 2, 0, 2, true, 14, TestName = "PooledSize_LeNet_28_k2s2_14")]
    [TestCase(7, 7, 0, 1, true, 1, TestName = "PooledSize_WholeImage_1")]
    public void PooledSize(int size, int kernel, int pad, int stride, bool ceil, int expected) =>
        Assert.That(PoolingLayer.PooledSize(size, kernel, pad, stride, ceil), Is.EqualTo(expected));

    public sealed record Case(string Name, string PoolParam, int N, int C, int H, int W, int OutH, int OutW)
    {
        public override string ToString() => Name;
        public string Text => $"name: 'pool' type: 'Pooling' pooling_param {{ {PoolParam} }}";
        public bool IsMax => !PoolParam.Contains("AVE");
    }

    public static readonly Case[] Cases =
    [
        new("max_k3s2", "pool: MAX kernel_size: 3 stride: 2", 2, 3, 5, 5, 2, 2),
        new("max_k2s2_ceil_7", "pool: MAX kernel_size: 2 stride: 2", 1, 2, 7, 7, 4, 4),
        new("max_k3s2p1_ceil", "pool: MAX kernel_size: 3 stride: 2 pad: 1", 2, 2, 6, 6, 4, 4),
        new("max_k3s2p1_floor", "pool: MAX kernel_size: 3 stride: 2 pad: 1 round_mode: FLOOR", 2, 2, 6, 6, 3, 3),
        new("max_kernel3x2_stride_h1_w2", "pool: MAX kernel_h: 3 kernel_w: 2 stride_h: 1 stride_w: 2", 1, 2, 5, 6, 3, 3),
        new("max_global", "pool: MAX global_pooling: true", 2, 3, 4, 5, 1, 1),
        new("ave_k3s2", "pool: AVE kernel_size: 3 stride: 2", 2, 3, 5, 5, 2, 2),
        new("ave_k3s2p1_ceil", "pool: AVE kernel_size: 3 stride: 2 pad: 1", 2, 2, 6, 6, 4, 4),
        new("ave_k2s1p1", "pool: AVE kernel_size: 2 stride: 1 pad: 1", 1, 2, 4, 4, 5, 5),
        new("ave_global", "pool: AVE global_pooling: true", 2, 3, 4, 5, 1, 1),
    ];

    [TestCaseSource(nameof(Cases))]
    public void ForwardMatchesNaivePooling(Case c)
    {
        var bottom = NewBlob("x", c.N, c.C, c.H, c.W);
        bottom.UploadData(DistinctValues((int)bottom.Count, 31));
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            Assert.That(top.Shape, Is.EqualTo(new[] { c.N, c.C, c.OutH, c.OutW }));
            layer.Forward([bottom], [top]);
            AssertClose(top.DownloadData(), Naive(layer.Param.PoolingParam, bottom, c.OutH, c.OutW), 1e-5f, c.Name);
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [TestCaseSource(nameof(Cases))]
    public void GradientCheck(Case c)
    {
        var bottom = NewBlob("x", c.N, c.C, c.H, c.W);
        bottom.UploadData(DistinctValues((int)bottom.Count, 32));
        var top = NewBlob("y");
        var layer = SetUp(c.Text, [bottom], [top]);
        try
        {
            Assert.That(new GradientChecker().Check(layer, [bottom], [top]), Is.EqualTo(bottom.Count));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void MaxBackwardRoutesEachGradientToTheArgmax()
    {
        // One 4x4 channel, 2x2 windows, stride 2: each top diff lands on its window's max only.
        var bottom = NewBlob("x", 1, 1, 4, 4);
        bottom.UploadData([1, 5, 0, 2,
                           3, 4, 9, 1,
                           8, 0, 2, 2.5f,
                           1, 7, 6, 3]);
        var top = NewBlob("y");
        var layer = SetUp("name: 'pool' type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 stride: 2 }", [bottom], [top]);
        try
        {
            layer.Forward([bottom], [top]);
            Assert.That(top.DownloadData(), Is.EqualTo(new float[] { 5, 9, 8, 6 }));
            top.UploadDiff([10, 20, 30, 40]);
            layer.Backward([top], [true], [bottom]);
            Assert.That(bottom.DownloadDiff(), Is.EqualTo(new float[] { 0, 10, 0, 0,  0, 0, 20, 0,  30, 0, 0, 0,  0, 0, 40, 0 }));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    [Test]
    public void PadNotSmallerThanKernelIsAnError()
    {
        var bottom = NewBlob("x", 1, 1, 4, 4);
        var top = NewBlob("y");
        var layer = Create("name: 'pool' type: 'Pooling' pooling_param { pool: MAX kernel_size: 2 pad: 2 }");
        try
        {
            var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([bottom], [top]));
            Assert.That(e!.Message, Does.Contain("'pool'").And.Contain("pad"));
        }
        finally { DisposeAll(layer, bottom, top); }
    }

    /// <summary>Caffe's CPU pooling loops: MAX over the clipped window, AVE divided by the padded window size.</summary>
    private static float[] Naive(Omnivore.Model.Caffe.PoolingParameter p, Blob bottom, int oh, int ow)
    {
        int n = bottom[0], ch = bottom[1], h = bottom[2], w = bottom[3];
        bool global = p.GlobalPooling;
        int kh = global ? h : p.HasKernelH ? (int)p.KernelH : (int)p.KernelSize;
        int kw = global ? w : p.HasKernelW ? (int)p.KernelW : (int)p.KernelSize;
        int ph = (int)p.Pad, pw = (int)p.Pad;
        int sh = p.HasStrideH ? (int)p.StrideH : (int)p.Stride, sw = p.HasStrideW ? (int)p.StrideW : (int)p.Stride;
        bool max = p.Pool == Omnivore.Model.Caffe.PoolingParameter.Types.PoolMethod.Max;
        var x = bottom.DownloadData();
        var y = new float[n * ch * oh * ow];
        for (int i = 0; i < n * ch; i++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int hs = oy * sh - ph, ws = ox * sw - pw;
            int he = Math.Min(hs + kh, h + ph), we = Math.Min(ws + kw, w + pw);
            int poolSize = (he - hs) * (we - ws);
            hs = Math.Max(hs, 0); ws = Math.Max(ws, 0);
            he = Math.Min(he, h); we = Math.Min(we, w);
            double acc = max ? double.NegativeInfinity : 0;
            for (int yy = hs; yy < he; yy++)
            for (int xx = ws; xx < we; xx++)
            {
                float v = x[(i * h + yy) * w + xx];
                acc = max ? Math.Max(acc, v) : acc + v;
            }
            y[(i * oh + oy) * ow + ox] = (float)(max ? acc : acc / poolSize);
        }
        return y;
    }
}
