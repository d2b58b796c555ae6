// GpuSchedulerTests: the scheduler with its master on the GPU trains like the GPU alone.
// Replicas: a second handle on the same GPU (its own stream; parameters and gradients
// cross device to device, ordered by events) and a CPU worker (staged through the host);
// after a few SGD steps with an uneven split the weights match the one-device run up to
// floating-point order, with every layer on every replica and with the fully connected
// layers on the master (boundary rows gathered and their gradients scattered). A missing event wait shows here as stale parameters or gradients.
// Skipped without a GPU.
using Omnivore.Core;
using Omnivore.Cuda;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Native;
using Omnivore.Nets;
using Omnivore.Scheduling;
using Omnivore.Solvers;
using Omnivore.Tests.Scheduling;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class GpuSchedulerTests
{
    private static Solver NewSolver(IDevice device)
    {
        var p = TextFormat.Parse<SolverParameter>(
            "base_lr: 0.1 momentum: 0.9 weight_decay: 0.0005 lr_policy: 'fixed' max_iter: 4 display: 0 snapshot_after_train: false", "solver.prototxt");
        var net = new Net(TextFormat.Parse<NetParameter>(DataParallelTests.NetText, "tiny.prototxt"), device, new Rng(5),
                          new NetState { Phase = Phase.Train });
        return new SgdSolver(p, net, []);
    }

    [TestCase(FcMode.Data)]
    [TestCase(FcMode.Model)]
    public void GpuMasterWithAGpuAndACpuReplicaTrainsLikeTheGpuAlone(FcMode mode)
    {
        var gpu = GpuTestDevice.Require();
        using var one = NewSolver(gpu);
        using var split = NewSolver(gpu);
        var second = CudaDevice.Create(gpu.Gpu.Ordinal);
        ReplicaDevice[] devices = [new(second, "gpu0"), new(CpuDevice.CreateWorker(1), "cpu0", 1, 1)];
        using var sched = Scheduler.Attach(split, devices, new SchedulerOptions { Ratio = [6, 4], CachePath = "", FcMode = mode });
        Assert.That(sched.Parallel.ModelParallel is not null, Is.EqualTo(mode == FcMode.Model));
        Assert.That(Transfer.Route(gpu, second), Is.EqualTo("device to device"));
        Assert.That(sched.Parallel.Shares, Is.EqualTo(new[] { 6, 4 }));
        one.Step(4);
        split.Step(4);
        using var fresh = NewSolver(gpu);
        SolverWeights.AssertTrainedAlike(one, split, fresh, 1e-4);
    }
}
