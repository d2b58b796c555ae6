// GpuTrainingTests: a fused Convolution + ReLU forward on the GPU against the CPU; and a
// short LeNet training run on the GPU (DummyData input, constant
// labels, so the loss must fall fast) next to the same run on the CPU: both devices
// initialise the weights and draw the data with the same generator, so the first
// iterations' losses agree to 1e-3 (sgemm sums in another order); the GPU's loss must
// fall below a quarter of where it started. Skipped without a GPU.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class GpuTrainingTests
{
    internal const string LeNet = """
        name: "LeNetDummy"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
                dummy_data_param { shape { dim: 16 dim: 1 dim: 28 dim: 28 } shape { dim: 16 }
                                   data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 3 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
                convolution_param { num_output: 20 kernel_size: 5 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
                convolution_param { num_output: 50 kernel_size: 5 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
        layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
                inner_product_param { num_output: 500 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 10 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private static float[] Losses(IDevice device, int iterations)
    {
        var p = TextFormat.Parse<SolverParameter>(
            "base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005 lr_policy: \"fixed\" max_iter: 100 display: 0 random_seed: 1", "solver");
        var net = new Net(TextFormat.Parse<NetParameter>(LeNet, "lenet.prototxt"), device, new Rng(1), new NetState { Phase = Phase.Train });
        using var solver = new SgdSolver(p, net, []);
        var losses = new float[iterations];
        for (int i = 0; i < iterations; i++)
        {
            solver.Step(1);
            losses[i] = solver.SmoothedLoss;
        }
        return losses;
    }

    /// <summary>A Convolution with an in-place ReLU is fused on the GPU too (a ReLU pass right
    /// after the convolution): the rectified output and the loss match the CPU's.</summary>
    [Test]
    public void FusedConvolutionReluOnTheGpuAsOnTheCpu()
    {
        var gpu = GpuTestDevice.Require();
        (float Loss, float[] Out) Run(IDevice device)
        {
            using var net = new Net(TextFormat.Parse<NetParameter>(ConvReluFusionTests.NetText("", "conv1"), "fused.prototxt"), device,
                                    new Rng(7), new NetState { Phase = Phase.Train });
            Assert.That(((Omnivore.Layers.ConvolutionLayer)net.Layer("conv1")).FusedRelu, Is.True);
            ConvReluFusionTests.Feed(net);
            return (net.Forward(), net.Blob("conv1").DownloadData());
        }
        var (gl, go) = Run(gpu);
        var (cl, co) = Run(CpuFixture.Device);
        Assert.That(go, Is.EqualTo(co).Within(1e-5f), "rectified convolution output");
        Assert.That(go.Count(v => v == 0f), Is.EqualTo(co.Count(v => v == 0f)), "the same outputs rectified to zero");
        Assert.That(gl, Is.EqualTo(cl).Within(1e-5f * (1 + Math.Abs(cl))), "loss");
    }

    [Test]
    public void LeNetTrainsOnTheGpuAsOnTheCpu()
    {
        var gpu = GpuTestDevice.Require();
        var g = Losses(gpu, 30);
        var c = Losses(CpuFixture.Device, 5);
        for (int i = 0; i < c.Length; i++)
            Assert.That(g[i], Is.EqualTo(c[i]).Within(1e-3 * (1 + Math.Abs(c[i]))), $"loss at iteration {i + 1}");
        Assert.That(g[^1], Is.LessThan(g[0] / 4), $"GPU losses: {string.Join(", ", g)}");
    }
}
