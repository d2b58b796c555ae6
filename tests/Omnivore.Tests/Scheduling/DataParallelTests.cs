// DataParallelTests: the scheduler's replicas train exactly like one device: a small
// conv net (DummyData, conv, pool, ReLU, InnerProduct, softmax loss, accuracy) trained a
// few SGD steps on one device and on two CPU worker replicas with an uneven split gives
// the same weights and loss up to floating-point order; OpenBLAS's thread count is the
// same before and after; a worker runs its kernels with its own thread count; the
// probe measures and caches; replicas probe their conv plans once, one at a time, and
// later batch sizes reuse them without probing inside a concurrent phase; a device that fails or hangs while starting is left out
// with a warning, and no device left is a clear error.
using System.Reflection;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Native;
using Omnivore.Nets;
using Omnivore.Scheduling;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Scheduling;

[TestFixture]
public class DataParallelTests
{
    internal const string NetText = """
        name: "tiny"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 10 dim: 2 dim: 8 dim: 8 } shape { dim: 10 }
            data_filler { type: "gaussian" std: 1 } data_filler { type: "uniform" min: 0 max: 3.99 } } }
        layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
          convolution_param { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
        layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
        layer { name: "relu1" type: "ReLU" bottom: "pool1" top: "pool1" }
        layer { name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1" inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
        layer { name: "acc" type: "Accuracy" bottom: "ip1" bottom: "label" top: "acc" }
        """;

    private const string SolverText = "base_lr: 0.1 momentum: 0.9 weight_decay: 0.0005 lr_policy: 'fixed' max_iter: 4 display: 0 snapshot_after_train: false";

    internal static Solver NewSolver(long seed = 5, int iterSize = 1)
    {
        var p = TextFormat.Parse<SolverParameter>(SolverText, "solver.prototxt");
        p.IterSize = iterSize;
        var net = new Net(TextFormat.Parse<NetParameter>(NetText, "tiny.prototxt"), CpuFixture.Device, new Rng(seed),
                          new NetState { Phase = Phase.Train });
        return new SgdSolver(p, net, []);
    }

    internal static ReplicaDevice Worker(string label, int threads = 1, double slowdown = 1) =>
        new(CpuDevice.CreateWorker(threads), label, slowdown, threads);

    [Test]
    public void ReplicasProbeConvPlansOnceAloneAndReuseThemForTheirShares()
    {
        var dir = Directory.CreateTempSubdirectory("omnivore-replica-plans-").FullName;
        try
        {
            using var solver = NewSolver();
            var conv = new Omnivore.Engine.ConvEngineOptions { Probe = true, CachePath = Path.Combine(dir, "plans.json") };
            using var sched = Scheduler.Attach(solver, [Worker("cpu0"), Worker("cpu1", slowdown: 2)],
                                               new SchedulerOptions { CachePath = "", ProbeSeconds = 0.05, Conv = conv });
            solver.Step(2);
            sched.Parallel.SetShares([10, 0]); // the whole batch (as built) on one replica: the measured plan, not the build-time stand-in
            solver.Step(1);
            foreach (var r in sched.Parallel.Replicas)
            {
                var choices = r.Conv!.Choices;
                Assert.That(choices.Count(c => c.Source == "probe"), Is.EqualTo(1), $"{r.Device.Label}: conv1 probed once (at the probe batch 5)");
                Assert.That(choices.Single(c => c.Source == "probe").Batch, Is.EqualTo(5));
                Assert.That(choices.Where(c => c.Batch != 5).All(c => c.Source is "measured at batch 5" or Omnivore.Engine.ConvEngine.NotProbedNow),
                            $"{r.Device.Label}: {string.Join(", ", choices.Select(c => $"n{c.Batch} {c.Source}"))}");
                Assert.That(r.Conv.AllowProbe, Is.False);
            }
            var first = sched.Parallel.Replicas[0].Conv!.Choices;
            Assert.That(first[^1].Batch, Is.EqualTo(10));
            Assert.That(first[^1].Source, Is.EqualTo("measured at batch 5"), "the whole batch no longer uses the plan guessed at build time");

            // A second start takes the throughputs from their cache and the plans from theirs.
            using var again = NewSolver();
            using var second = Scheduler.Attach(again, [Worker("cpu0"), Worker("cpu1", slowdown: 2)],
                                                new SchedulerOptions { CachePath = Path.Combine(dir, "rates.json"), ProbeSeconds = 0.05, Conv = conv });
            using var third = NewSolver();
            using var cached = Scheduler.Attach(third, [Worker("cpu0"), Worker("cpu1", slowdown: 2)],
                                                new SchedulerOptions { CachePath = Path.Combine(dir, "rates.json"), Conv = conv });
            Assert.That(cached.FromCache, Is.True);
            foreach (var r in cached.Parallel.Replicas)
                Assert.That(r.Conv!.Choices.Any(c => c.Batch == 5 && c.Source == "cache"), Is.True,
                            $"{r.Device.Label}: {string.Join(", ", r.Conv.Choices.Select(c => $"n{c.Batch} {c.Source}"))}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void TwoReplicasTrainLikeOneDevice()
    {
        using var one = NewSolver();
        using var two = NewSolver();
        int blasBefore = CpuDevice.BlasThreads;
        using var sched = Scheduler.Attach(two, [Worker("cpu0"), Worker("cpu1")], new SchedulerOptions { Ratio = [7, 3], CachePath = "" });
        Assert.That(sched.Parallel.Shares, Is.EqualTo(new[] { 7, 3 }));
        Assert.That(one.Net.Arena.Data.Length, Is.EqualTo(two.Net.Arena.Data.Length));
        Assert.That(Data(two), Is.EqualTo(Data(one))); // same start
        one.Step(4);
        two.Step(4);
        Assert.That(CpuDevice.BlasThreads, Is.EqualTo(blasBefore));
        var a = Data(one);
        var b = Data(two);
        double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), scale = a.Max(Math.Abs);
        Assert.That(diff, Is.LessThan(1e-5 * scale), $"max |diff| {diff}");
        Assert.That(two.SmoothedLoss, Is.EqualTo(one.SmoothedLoss).Within(1e-5));
        // The master's outputs are the replicas' weighted means (the loss of the last step).
        float loss1 = one.Net.Blob("loss").DownloadData()[0], loss2 = two.Net.Blob("loss").DownloadData()[0];
        Assert.That(loss2, Is.EqualTo(loss1).Within(1e-5));
        // Training moved the weights (the test compares something).
        using var fresh = NewSolver();
        Assert.That(Data(fresh).Zip(a, (x, y) => Math.Abs(x - y)).Max(), Is.GreaterThan(1e-3));
    }

    [Test]
    public void ThreeUnevenReplicasWithIterSize()
    {
        using var one = NewSolver(iterSize: 2);
        using var three = NewSolver(iterSize: 2);
        using var sched = Scheduler.Attach(three, [Worker("cpu0"), Worker("cpu1"), Worker("cpu2", threads: 2)],
                                           new SchedulerOptions { Ratio = [5, 3, 2], CachePath = "" });
        Assert.That(sched.Parallel.Shares, Is.EqualTo(new[] { 5, 3, 2 }));
        one.Step(3);
        three.Step(3);
        var a = Data(one);
        var b = Data(three);
        Assert.That(a.Zip(b, (x, y) => Math.Abs(x - y)).Max(), Is.LessThan(1e-5 * a.Max(Math.Abs)));
        Assert.That(three.SmoothedLoss, Is.EqualTo(one.SmoothedLoss).Within(1e-5));
    }

    private static float[] Data(Solver s)
    {
        var v = new float[s.Net.Arena.Count];
        s.Net.Device.Download(v, s.Net.Arena.Data);
        return v;
    }

    [Test]
    public void WorkerUsesItsOwnThreadCount()
    {
        int global = NativeThreads();   // this thread's setting (other tests may have changed the global one)
        using var dev = CpuDevice.CreateWorker(1);
        using var worker = new DeviceWorker(dev, "cpu0");
        int seen = -1;
        worker.Run(() => seen = NativeThreads());
        Assert.That(seen, Is.EqualTo(1));
        Assert.That(NativeThreads(), Is.EqualTo(global));
        var e = Assert.Throws<OmnivoreException>(() => worker.Run(() => throw new InvalidOperationException("boom")));
        Assert.That(e!.Message, Does.Contain("cpu0").And.Contain("boom"));
    }

    private static int NativeThreads() => CpuDevice.Create().Threads; // reads om_get_num_threads on this thread

    [Test]
    public void ProbeMeasuresAndCaches()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"omnivore-throughput-{Guid.NewGuid():N}.json");
        try
        {
            using var s1 = NewSolver();
            using (var sched = Scheduler.Attach(s1, [Worker("cpu0"), Worker("cpu1", slowdown: 3)],
                                                new SchedulerOptions { CachePath = cache, ProbeSeconds = 0.3 }))
            {
                Assert.That(sched.FromCache, Is.False);
                Assert.That(sched.Rates, Has.All.GreaterThan(0));
                Assert.That(sched.Rates[0], Is.GreaterThan(sched.Rates[1]));
                Assert.That(sched.Parallel.Shares.Sum(), Is.EqualTo(10));
                Assert.That(sched.Parallel.Shares[0], Is.GreaterThan(sched.Parallel.Shares[1]));
                s1.Step(2);
            }
            Assert.That(File.Exists(cache));
            using var s2 = NewSolver();
            using var again = Scheduler.Attach(s2, [Worker("cpu0"), Worker("cpu1", slowdown: 3)], new SchedulerOptions { CachePath = cache });
            Assert.That(again.FromCache, Is.True);
        }
        finally { File.Delete(cache); }
    }

    [Test]
    public void FailingDevicesAreLeftOut()
    {
        using var s = NewSolver();
        using var sched = Scheduler.Attach(s, [new ReplicaDevice(Broken.Create(), "gpu0"), Worker("cpu0")],
                                           new SchedulerOptions { CachePath = "", ProbeSeconds = 0.1 });
        Assert.That(sched.Parallel.Replicas, Has.Count.EqualTo(1));
        Assert.That(sched.Parallel.Shares, Is.EqualTo(new[] { 10 }));
        s.Step(1);
        using var s2 = NewSolver();
        var e = Assert.Throws<OmnivoreException>(() => Scheduler.Attach(s2, [new ReplicaDevice(Broken.Create(), "gpu0")]));
        Assert.That(e!.Message, Does.Contain("no device is left"));
    }

    [Test]
    public void HangingDeviceIsLeftOutAfterATimeout()
    {
        var saved = Replica.BuildTimeout;
        Replica.BuildTimeout = TimeSpan.FromSeconds(1);
        using var release = new ManualResetEventSlim();
        try
        {
            using var s = NewSolver();
            var hanging = Broken.Create(release);
            var started = DateTime.UtcNow;
            using var sched = Scheduler.Attach(s, [new ReplicaDevice(hanging, "gpu0"), Worker("cpu0")],
                                               new SchedulerOptions { Ratio = [1, 1], CachePath = "" });
            Assert.That(DateTime.UtcNow - started, Is.LessThan(TimeSpan.FromSeconds(30)));
            Assert.That(sched.Parallel.Replicas.Select(r => r.Device.Label), Is.EqualTo(new[] { "cpu0" }));
            Assert.That(sched.Parallel.Shares, Is.EqualTo(new[] { 10 }));
        }
        finally
        {
            release.Set();
            Replica.BuildTimeout = saved;
        }
    }

    /// <summary>A device whose every call fails (or, given a gate, blocks until it opens, then fails).</summary>
    public class Broken : DispatchProxy
    {
        private ManualResetEventSlim? _gate;

        public static IDevice Create(ManualResetEventSlim? gate = null)
        {
            var d = DispatchProxy.Create<IDevice, Broken>();
            ((Broken)(object)d)._gate = gate;
            return d;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method?.Name is "get_Name") return "broken device";
            if (method?.Name is "Dispose" or "BeginConcurrent" or "EndConcurrent" or "BindWorkerThread" or "get_HostAddressable")
                return method.ReturnType == typeof(bool) ? false : null;
            _gate?.Wait();
            throw new OmnivoreException($"device lost in {method?.Name}");
        }
    }
}
