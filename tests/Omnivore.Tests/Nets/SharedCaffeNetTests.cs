// Builds the unmodified Caffe deploy and benchmark nets from ../shared/caffe (skipped when
// that folder is absent) and checks every blob shape against what Caffe reports for them,
// plus the splits, outputs and backward flags Caffe would set up. Build only: no forward
// pass on the large nets, so this stays cheap.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class SharedCaffeNetTests
{
    private static Net Load(string relative, Phase phase)
    {
        var path = Path.Combine(TestPaths.RequireSharedCaffe(), relative);
        return new Net(SolverFactory.LoadNet(path), CpuFixture.Device, new Rng(1701), new NetState { Phase = phase }, path);
    }

    private static void AssertShapes(Net net, params (string Blob, int[] Shape)[] expected)
    {
        Assert.Multiple(() =>
        {
            foreach (var (blob, shape) in expected)
                Assert.That(net.Blob(blob).Shape, Is.EqualTo(shape), blob);
        });
    }

    [Test]
    public void LeNetDeploy()
    {
        using var net = Load("examples/mnist/lenet.prototxt", Phase.Test);
        AssertShapes(net,
            ("data", [64, 1, 28, 28]), ("conv1", [64, 20, 24, 24]), ("pool1", [64, 20, 12, 12]),
            ("conv2", [64, 50, 8, 8]), ("pool2", [64, 50, 4, 4]), ("ip1", [64, 500]), ("ip2", [64, 10]),
            ("prob", [64, 10]));
        Assert.That(net.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "prob" }));
        Assert.That(net.Arena.Count, Is.EqualTo(20 * 25 + 20 + 50 * 20 * 25 + 50 + 500 * 800 + 500 + 10 * 500 + 10));
    }

    [Test]
    public void Cifar10QuickDeploy()
    {
        using var net = Load("examples/cifar10/cifar10_quick.prototxt", Phase.Test);
        AssertShapes(net,
            ("data", [1, 3, 32, 32]), ("conv1", [1, 32, 32, 32]), ("pool1", [1, 32, 16, 16]),
            ("conv2", [1, 32, 16, 16]), ("pool2", [1, 32, 8, 8]), ("conv3", [1, 64, 8, 8]),
            ("pool3", [1, 64, 4, 4]), ("ip1", [1, 64]), ("ip2", [1, 10]), ("prob", [1, 10]));
        Assert.That(net.Layer("ip1").Params[0].Shape, Is.EqualTo(new[] { 64, 64 * 4 * 4 }));
    }

    [Test]
    public void CaffeNetDeploy()
    {
        using var net = Load("models/bvlc_reference_caffenet/deploy.prototxt", Phase.Test);
        AssertShapes(net,
            ("data", [10, 3, 227, 227]), ("conv1", [10, 96, 55, 55]), ("pool1", [10, 96, 27, 27]),
            ("norm1", [10, 96, 27, 27]), ("conv2", [10, 256, 27, 27]), ("pool2", [10, 256, 13, 13]),
            ("norm2", [10, 256, 13, 13]), ("conv3", [10, 384, 13, 13]), ("conv4", [10, 384, 13, 13]),
            ("conv5", [10, 256, 13, 13]), ("pool5", [10, 256, 6, 6]), ("fc6", [10, 4096]),
            ("fc7", [10, 4096]), ("fc8", [10, 1000]), ("prob", [10, 1000]));
        // Grouped convolutions hold half the input channels per filter, as in Caffe.
        Assert.That(net.Layer("conv2").Params[0].Shape, Is.EqualTo(new[] { 256, 48, 5, 5 }));
        Assert.That(net.Layer("conv4").Params[0].Shape, Is.EqualTo(new[] { 384, 192, 3, 3 }));
        Assert.That(net.Layer("fc6").Params[0].Shape, Is.EqualTo(new[] { 4096, 9216 }));
        // Caffe reports 60,965,224 learnable parameters for CaffeNet.
        Assert.That(net.Arena.Count, Is.EqualTo(60_965_224L));
        Assert.That(net.Layers.Any(l => l.Type == "Split"), Is.False);
        Assert.That(net.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "prob" }));
    }

    [Test]
    public void LeNetBenchmarkNetInTrainAndTest()
    {
        using (var train = Load("bench/lenet_dummy_b64.prototxt", Phase.Train))
        {
            AssertShapes(train,
                ("data", [64, 1, 28, 28]), ("label", [64]), ("conv1", [64, 20, 24, 24]), ("pool1", [64, 20, 12, 12]),
                ("conv2", [64, 50, 8, 8]), ("pool2", [64, 50, 4, 4]), ("ip1", [64, 500]), ("ip2", [64, 10]));
            Assert.That(train.Blob("loss").Count, Is.EqualTo(1));
            Assert.That(train.HasBlob("accuracy"), Is.False, "accuracy is TEST only");
            Assert.That(train.Layers.Any(l => l.Type == "Split"), Is.False);
            Assert.That(train.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "loss" }));
            float loss = train.Forward();
            // Constant labels and near-uniform predictions: the loss is close to ln(10).
            Assert.That(loss, Is.EqualTo(Math.Log(10)).Within(0.5));
        }
        using var test = Load("bench/lenet_dummy_b64.prototxt", Phase.Test);
        Assert.That(test.Layers.Select(l => l.Name), Has.Member("ip2_ip2_0_split").And.Member("label_mnist_1_split"));
        Assert.That(test.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "accuracy", "loss" }));
        int acc = test.Layers.ToList().FindIndex(l => l.Name == "accuracy");
        Assert.That(test.LayerNeedsBackward(acc), Is.False);
        Assert.That(test.Blob("accuracy").Count, Is.EqualTo(1));
    }
}
