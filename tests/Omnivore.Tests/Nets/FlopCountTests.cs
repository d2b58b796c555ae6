// FlopCountTests: FLOPs per layer (matrix products only, a multiply-add counts 2) against
// hand-computed figures: small convolution, deconvolution and inner-product nets with and
// without data gradients; LeNet and CaffeNet deploy forward passes; and CaffeNet training
// from shared/caffe/bench, which costs 4.14 GFLOP per image (forward 1.45, backward 2.69,
// as RECORDED.md says: no data gradient for conv1, whose bottom is the data).
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class FlopCountTests
{
    private static Net Parse(string text, Phase phase = Phase.Train) =>
        new(TextFormat.Parse<NetParameter>(text, "flops"), CpuFixture.Device, new Rng(1), new NetState { Phase = phase });

    private static Net LoadShared(string relative, Phase phase)
    {
        var path = Path.Combine(TestPaths.RequireSharedCaffe(), relative);
        return new Net(SolverFactory.LoadNet(path), CpuFixture.Device, new Rng(1701), new NetState { Phase = phase }, path);
    }

    private static int Index(Net net, string name) => net.Layers.ToList().FindIndex(l => l.Name == name);

    private const string Small = """
        name: "small"
        layer { name: "in" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 4 dim: 9 dim: 9 } shape { dim: 2 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                convolution_param { num_output: 6 kernel_size: 3 stride: 2 pad: 1 group: 2 } }
        layer { name: "deconv" type: "Deconvolution" bottom: "conv" top: "deconv" convolution_param { num_output: 3 kernel_size: 2 stride: 2 } }
        layer { name: "ip" type: "InnerProduct" bottom: "deconv" top: "ip" inner_product_param { num_output: 5 } }
        layer { name: "relu" type: "ReLU" bottom: "ip" top: "ip" }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        """;

    [Test]
    public void SmallNetLayersMatchHandCounts()
    {
        using var net = Parse(Small);
        // conv: out 2x6x5x5, each output Cin/g*KH*KW = 2*3*3 = 18 multiply-adds.
        double conv = 2.0 * (2 * 6 * 5 * 5) * 18;
        // deconv: input 2x6x5x5, each input pixel feeds num_output/g*KH*KW = 3*2*2 = 12 outputs; out 2x3x10x10.
        double deconv = 2.0 * (2 * 6 * 5 * 5) * 12;
        // ip: M=2, K=3*10*10=300, N=5.
        double ip = 2.0 * 2 * 300 * 5;
        Assert.Multiple(() =>
        {
            Assert.That(net.ForwardFlops(Index(net, "conv")), Is.EqualTo(conv));
            Assert.That(net.ForwardFlops(Index(net, "deconv")), Is.EqualTo(deconv));
            Assert.That(net.ForwardFlops(Index(net, "ip")), Is.EqualTo(ip));
            Assert.That(net.ForwardFlops(Index(net, "relu")), Is.Zero);
            // The input needs no gradient: conv does only the weight gradient; the others both.
            Assert.That(net.BottomNeedsBackward(Index(net, "conv"))[0], Is.False);
            Assert.That(net.BackwardFlops(Index(net, "conv")), Is.EqualTo(conv));
            Assert.That(net.BackwardFlops(Index(net, "deconv")), Is.EqualTo(2 * deconv));
            Assert.That(net.BackwardFlops(Index(net, "ip")), Is.EqualTo(2 * ip));
            Assert.That(net.Flops(), Is.EqualTo((conv + deconv + ip, conv + 2 * deconv + 2 * ip)));
        });
    }

    [Test]
    public void ForceBackwardCountsTheDataGradientToo()
    {
        using var net = Parse("force_backward: true\n" + Small);
        double conv = 2.0 * (2 * 6 * 5 * 5) * 18;
        Assert.That(net.BackwardFlops(Index(net, "conv")), Is.EqualTo(2 * conv));
    }

    [Test]
    public void NetWithoutLossRunsNoBackward()
    {
        using var net = Parse(Small.Replace("type: \"SoftmaxWithLoss\" bottom: \"ip\" bottom: \"label\"", "type: \"Softmax\" bottom: \"ip\""), Phase.Test);
        Assert.That(net.Flops().Backward, Is.Zero);
        Assert.That(net.Flops().Forward, Is.GreaterThan(0));
    }

    [Test]
    public void LeNetDeployForward()
    {
        using var net = LoadShared("examples/mnist/lenet.prototxt", Phase.Test);
        // Per image: conv1 20x24x24 outputs x 25, conv2 50x8x8 x 500, ip1 800x500, ip2 500x10.
        double perImage = 2.0 * (20 * 24 * 24 * 25 + 50 * 8 * 8 * 500 + 800 * 500 + 500 * 10);
        Assert.That(net.Flops().Forward, Is.EqualTo(64 * perImage));
    }

    // CaffeNet per image, by hand: output pixels x (Cin/group x KH x KW), then the three fully connected layers.
    private const double Conv1 = 2.0 * 96 * 55 * 55 * (3 * 11 * 11);
    private const double Conv2 = 2.0 * 256 * 27 * 27 * (48 * 5 * 5);
    private const double Conv3 = 2.0 * 384 * 13 * 13 * (256 * 3 * 3);
    private const double Conv4 = 2.0 * 384 * 13 * 13 * (192 * 3 * 3);
    private const double Conv5 = 2.0 * 256 * 13 * 13 * (192 * 3 * 3);
    private const double Fc = 2.0 * (9216 * 4096 + 4096 * 4096 + 4096 * 1000);
    private const double CaffeNetForward = Conv1 + Conv2 + Conv3 + Conv4 + Conv5 + Fc;

    [Test]
    public void CaffeNetDeployForward()
    {
        using var net = LoadShared("models/bvlc_reference_caffenet/deploy.prototxt", Phase.Test);
        Assert.That(net.ForwardFlops(Index(net, "conv1")), Is.EqualTo(10 * Conv1));
        Assert.That(net.ForwardFlops(Index(net, "conv2")), Is.EqualTo(10 * Conv2));
        Assert.That(net.Flops().Forward, Is.EqualTo(10 * CaffeNetForward));
        Assert.That(CaffeNetForward / 1e9, Is.EqualTo(1.45).Within(0.005));
    }

    [Test]
    public void CaffeNetTrainingCosts4Point14GflopPerImage()
    {
        using var net = LoadShared("bench/caffenet_dummy_b64.prototxt", Phase.Train);
        var (f, b) = net.Flops();
        Assert.Multiple(() =>
        {
            Assert.That(f / 64, Is.EqualTo(CaffeNetForward));
            // Backward: every weight gradient, every data gradient but conv1's (its bottom is the data).
            Assert.That(b / 64, Is.EqualTo(2 * CaffeNetForward - Conv1));
            Assert.That(f / 64 / 1e9, Is.EqualTo(1.45).Within(0.005));
            Assert.That(b / 64 / 1e9, Is.EqualTo(2.69).Within(0.005));
            Assert.That((f + b) / 64 / 1e9, Is.EqualTo(4.14).Within(0.005));
        });
    }
}
