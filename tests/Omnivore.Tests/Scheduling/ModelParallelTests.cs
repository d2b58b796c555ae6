// ModelParallelTests: the fully connected layers on the master (FcSplit). The cut of the
// tiny conv net falls at its InnerProduct with pool1 as the boundary and the conv
// parameters as the arena's prefix; nets that cannot be cut say why; training with the
// cut (two and three uneven replicas, iter_size 2) gives the weights of one device up to
// floating-point order; the automatic choice measures both modes without reading data or
// moving the master's parameters.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Scheduling;
using Omnivore.Solvers;
using Omnivore.Tests.Support;
using static Omnivore.Tests.Scheduling.DataParallelTests;

namespace Omnivore.Tests.Scheduling;

[TestFixture]
public class ModelParallelTests
{
    private static Net Build(string text) =>
        new(TextFormat.Parse<NetParameter>(text, "net.prototxt"), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });

    [Test]
    public void TheCutFallsAtTheFirstInnerProductAfterTheConvolutions()
    {
        using var net = Build(NetText);
        var cut = FcSplit.Find(net, out string why);
        Assert.That(cut, Is.Not.Null, why);
        Assert.That(net.Layers[cut!.Start].Name, Is.EqualTo("ip1"));
        Assert.That(cut.Boundary, Is.EqualTo(new[] { "pool1" }));
        Assert.That(cut.ConvParams, Is.EqualTo(4 * 2 * 3 * 3 + 4), "conv1's weights and bias come first in the arena");
        Assert.That(cut.FcParams, Is.EqualTo(net.Arena.Count - cut.ConvParams));
        Assert.That(cut.Describe(), Does.Contain("ip1..acc").And.Contain("pool1"));
    }

    [Test]
    public void NetsThatCannotBeCutSayWhy()
    {
        const string noFc = """
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 4 dim: 1 dim: 4 dim: 4 } shape { dim: 4 dim: 2 dim: 2 dim: 2 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "conv" bottom: "label" top: "loss" }
            """;
        using (var net = Build(noFc))
        {
            Assert.That(FcSplit.Find(net, out string why), Is.Null);
            Assert.That(why, Does.Contain("no InnerProduct layer after the last convolution"));
        }
        const string earlyLoss = """
            layer { name: "data" type: "DummyData" top: "data" top: "target" top: "label"
              dummy_data_param { shape { dim: 4 dim: 1 dim: 4 dim: 4 } shape { dim: 4 dim: 2 dim: 2 dim: 2 } shape { dim: 4 }
                data_filler { type: "constant" } data_filler { type: "constant" } data_filler { type: "constant" value: 1 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }
            layer { name: "aux" type: "EuclideanLoss" bottom: "conv" bottom: "target" top: "aux" loss_weight: 0.3 }
            layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
            """;
        using (var net = Build(earlyLoss))
        {
            Assert.That(FcSplit.Find(net, out string why), Is.Null);
            Assert.That(why, Does.Contain("layer 'aux' computes a loss before the fully connected layers"));
        }
    }

    [TestCase(new[] { 7, 3 }, 1)]
    [TestCase(new[] { 5, 3, 2 }, 2)]
    public void FullyConnectedLayersOnTheMasterTrainLikeOneDevice(int[] ratio, int iterSize)
    {
        using var one = NewSolver(iterSize: iterSize);
        using var split = NewSolver(iterSize: iterSize);
        var devices = ratio.Select((_, i) => Worker($"cpu{i}")).ToArray();
        using var sched = Scheduler.Attach(split, devices,
                                           new SchedulerOptions { Ratio = ratio.Select(r => (double)r).ToArray(), CachePath = "", FcMode = FcMode.Model });
        Assert.That(sched.Parallel.ModelParallel, Is.Not.Null);
        Assert.That(sched.Parallel.Shares, Is.EqualTo(ratio));
        var cut = sched.Parallel.ModelParallel!;
        var r0 = sched.Parallel.Replicas[0];
        float[] ReplicaFc()
        {
            var v = new float[cut.FcParams];
            r0.Device.Device.Download(v, r0.Net.Arena.Data.Slice(cut.ConvParams, cut.FcParams));
            return v;
        }
        var fcBefore = ReplicaFc();
        one.Step(4);
        split.Step(4);
        using var fresh = NewSolver();
        SolverWeights.AssertTrainedAlike(one, split, fresh, 1e-5);
        Assert.That(split.Net.Blob("acc").DownloadData()[0], Is.EqualTo(one.Net.Blob("acc").DownloadData()[0]).Within(1e-6));
        // The fully connected parameters never left the master: a replica's copy is as it was built.
        Assert.That(ReplicaFc(), Is.EqualTo(fcBefore));
    }

    [Test]
    public void AutomaticChoiceMeasuresBothModesAndLeavesTheMasterAsItWas()
    {
        using var solver = NewSolver();
        var before = SolverWeights.Data(solver);
        using var sched = Scheduler.Attach(solver, [Worker("cpu0"), Worker("cpu1")],
                                           new SchedulerOptions { Ratio = [1, 1], CachePath = "", FcMode = FcMode.Auto });
        Assert.That(SolverWeights.Data(solver), Is.EqualTo(before), "the mode probe changed no parameter");
        Assert.That(sched.Parallel.FcCut, Is.Not.Null);
        solver.Step(2); // trains in whichever mode was chosen
        Assert.That(SolverWeights.Data(solver), Is.Not.EqualTo(before));
    }

    [Test]
    public void ModelModeOnANetWithoutACutIsAClearError()
    {
        var p = TextFormat.Parse<SolverParameter>("base_lr: 0.1 lr_policy: 'fixed' max_iter: 1 display: 0 snapshot_after_train: false", "solver");
        var net = Build("""
            layer { name: "data" type: "DummyData" top: "data" top: "label"
              dummy_data_param { shape { dim: 4 dim: 1 dim: 4 dim: 4 } shape { dim: 4 dim: 2 dim: 2 dim: 2 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "conv" bottom: "label" top: "loss" }
            """);
        using var solver = new SgdSolver(p, net, []);
        var e = Assert.Throws<OmnivoreException>(() =>
            Scheduler.Attach(solver, [Worker("cpu0"), Worker("cpu1")], new SchedulerOptions { Ratio = [1, 1], CachePath = "", FcMode = FcMode.Model }));
        Assert.That(e!.Message, Does.Contain("cannot run on the master alone").And.Contain("no InnerProduct"));
    }
}
