// ExactResumeTests: training N iterations straight and training N/2, snapshotting and
// resuming from the .solverstate give bit-identical weights: the LMDB data layer's next
// batch (not the prefetcher's read-ahead), its random crops and mirrors, the dropout
// masks (the run's Rng), the learning-rate step and the momentum history all continue
// exactly; through the Solver API and through `omnivore train --snapshot`. A state
// without Omnivore's extension fields (as Caffe writes it) still loads, restores the
// weights and history, and warns that data order restarts. Rng draws what a seeded
// System.Random draws (so no earlier run changes) and its state round-trips.
using Google.Protobuf;
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;
using Omnivore.Tests.Data;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
[NonParallelizable]
public class ExactResumeTests
{
    private const int Total = 20, Half = 10;
    private string _dir = "", _lmdb = "";

    [OneTimeSetUp]
    public void MakeDataset()
    {
        _dir = MnistTestData.TempDir("resume");
        _lmdb = MnistTestData.MakeLmdb(_dir, 7); // 7 records, batches of 3: wraps mid-batch
    }

    [OneTimeTearDown]
    public void Remove() => MnistTestData.Delete(_dir);

    [SetUp]
    public void Clean()
    {
        foreach (var f in Directory.GetFiles(_dir)) File.Delete(f);
    }

    private string Net() => $$"""
        name: "resume"
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TRAIN }
                transform_param { mirror: true crop_size: 20 scale: 0.00390625 }
                data_param { source: "{{_lmdb}}" batch_size: 3 backend: LMDB } }
        layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }
                transform_param { crop_size: 20 scale: 0.00390625 }
                data_param { source: "{{_lmdb}}" batch_size: 2 backend: LMDB } }
        layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
                inner_product_param { num_output: 12 weight_filler { type: "xavier" } } }
        layer { name: "relu" type: "ReLU" bottom: "ip1" top: "ip1" }
        layer { name: "drop" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.5 } }
        layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
                inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
        layer { name: "acc" type: "Accuracy" bottom: "ip2" bottom: "label" top: "acc" include { phase: TEST } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
        """;

    private string SolverFile(int maxIter)
    {
        File.WriteAllText(Path.Combine(_dir, "net.prototxt"), Net());
        var path = Path.Combine(_dir, "solver.prototxt");
        File.WriteAllText(path, $"""
            net: "{_dir}/net.prototxt"
            test_iter: 2 test_interval: 5
            base_lr: 0.05 momentum: 0.9 weight_decay: 0.0005
            lr_policy: "step" gamma: 0.5 stepsize: 7
            display: 4 average_loss: 3 max_iter: {maxIter}
            snapshot_prefix: "{_dir}/run" random_seed: 42 solver_mode: CPU
            """);
        return path;
    }

    private Solver Create(int maxIter = Total)
    {
        var path = SolverFile(maxIter);
        return SolverFactory.Create(SolverFactory.Load(path), CpuFixture.Device, path);
    }

    private static int[] Bits(Solver s) =>
        s.Net.Layers.SelectMany(l => l.Params).SelectMany(p => p.DownloadData()).Select(BitConverter.SingleToInt32Bits).ToArray();

    private int[] Straight() => StraightWithScores().Bits;

    private (int[] Bits, List<(int, string, float)> Scores) StraightWithScores()
    {
        using var s = Create();
        s.Step(Total);
        return (Bits(s), s.LastTestScores.ToList());
    }

    private string FirstHalfState()
    {
        using var s = Create();
        s.Step(Half);
        return s.Snapshot().State;
    }

    [Test]
    public void SolverApiResumeIsBitIdentical()
    {
        var (straight, scores) = StraightWithScores();
        var state = FirstHalfState();
        using var resumed = Create();
        resumed.Restore(state);
        Assert.That(resumed.Iter, Is.EqualTo(Half));
        resumed.Step(Total - Half);
        var bits = Bits(resumed);
        Assert.That(bits, Has.Length.EqualTo(straight.Length));
        int differing = bits.Zip(straight).Count(p => p.First != p.Second);
        Assert.That(differing, Is.Zero, $"{differing} of {bits.Length} weights differ after resume");
        Assert.That(resumed.LastTestScores, Is.EqualTo(scores), "the test net read the same records too (test at iteration 15)");
    }

    [Test]
    public void StateHoldsTheExtensionsAndTheNextBatchPosition()
    {
        var state = SolverState.Parser.ParseFrom(File.ReadAllBytes(FirstHalfState()));
        Assert.That(state.OmnivoreRng, Is.Not.Null);
        Assert.That(state.OmnivoreRng.Words, Has.Count.EqualTo(56));
        Assert.That(state.OmnivoreData.Select(d => d.Layer), Is.EqualTo(new[] { "data", "test0/data" }));
        // 10 batches of 3 consumed from 7 records: the next batch starts at record 30 mod 7 = 2,
        // whatever the prefetch thread has read ahead.
        Assert.That(state.OmnivoreData[0].Record, Is.EqualTo(2));
        Assert.That(state.OmnivoreData[0].Key.ToStringUtf8(), Is.EqualTo("00000002"));
        // Tests at iterations 0 and 5: 2 passes x 2 test_iter x batch 2 = 8 records, so 8 mod 7 = 1.
        Assert.That(state.OmnivoreData[1].Record, Is.EqualTo(1));
        Assert.That(state.OmnivoreRecentLoss, Has.Count.EqualTo(3));
    }

    [Test]
    public void CaffeWrittenStateLoadsWeightsAndHistoryAndWarnsThatDataRestarts()
    {
        var straight = Straight();
        var file = FirstHalfState();
        var state = SolverState.Parser.ParseFrom(File.ReadAllBytes(file));
        state.OmnivoreRng = null;
        state.OmnivoreData.Clear();
        state.OmnivoreRecentLoss.Clear();
        state.ClearOmnivoreChecksum();
        File.WriteAllBytes(file, state.ToByteArray());
        using var snapshotNet = Create();
        snapshotNet.Net.CopyTrainedLayersFrom(state.LearnedNet);
        var warnings = new StringWriter();
        var old = Log.Writer;
        Log.Writer = warnings;
        using var resumed = Create();
        try
        {
            resumed.Restore(file);
        }
        finally
        {
            Log.Writer = old;
        }
        Assert.That(warnings.ToString(), Does.Contain("data order and random draws restart"));
        Assert.That(resumed.Iter, Is.EqualTo(Half));
        Assert.That(Bits(resumed), Is.EqualTo(Bits(snapshotNet)), "weights restored");
        resumed.Step(Total - Half);
        Assert.That(Bits(resumed), Is.Not.EqualTo(straight), "without the extensions the data order restarts");
    }

    [Test]
    public void CliResumeWithSnapshotFlagIsBitIdentical()
    {
        var opts = ConvEngineOptions.Default;
        var solver = SolverFile(Total);
        TrainCommand.Run(solver, null, null, 1, null, opts);
        var straight = File.ReadAllBytes(Path.Combine(_dir, $"run_iter_{Total}.caffemodel"));
        foreach (var f in Directory.GetFiles(_dir, "run_iter_*")) File.Delete(f);

        TrainCommand.Run(SolverFile(Half), null, null, 1, null, opts);
        var state = Path.Combine(_dir, $"run_iter_{Half}.solverstate");
        Assert.That(File.Exists(state), Is.True);
        TrainCommand.Run(SolverFile(Total), null, state, 1, null, opts);
        var resumed = File.ReadAllBytes(Path.Combine(_dir, $"run_iter_{Total}.caffemodel"));
        Assert.That(resumed, Is.EqualTo(straight), "the resumed run's final .caffemodel equals the straight run's byte for byte");
    }

    [Test]
    public void RngDrawsWhatASeededSystemRandomDraws()
    {
        foreach (long seed in new[] { 0L, 1, 42, -7, int.MinValue, 1L << 40, long.MaxValue })
        {
            var ours = new Rng(seed);
            var theirs = new Random(unchecked((int)(seed ^ (seed >> 32))));
            for (int i = 0; i < 300; i++)
            {
                Assert.That(ours.Next(1000 + i), Is.EqualTo(theirs.Next(1000 + i)), $"seed {seed} draw {i}");
                Assert.That(ours.NextDouble(), Is.EqualTo(theirs.NextDouble()));
                Assert.That(ours.NextSeed(), Is.EqualTo((ulong)theirs.NextInt64()));
            }
            var fork = ours.Fork();
            long forkSeed = ((long)theirs.Next() << 31) ^ theirs.Next();
            var theirFork = new Random(unchecked((int)(forkSeed ^ (forkSeed >> 32))));
            for (int i = 0; i < 20; i++) Assert.That(fork.Next(77), Is.EqualTo(theirFork.Next(77)), "forked generators agree");
        }
    }

    [Test]
    public void RngStateRoundTrips()
    {
        var a = new Rng(5);
        for (int i = 0; i < 77; i++) a.Next(10);
        a.Gaussian(0, 1); // leaves a spare deviate
        var saved = OmnivoreRngState.Parser.ParseFrom(a.Save().ToByteArray());
        var b = new Rng(999);
        b.Restore(saved);
        for (int i = 0; i < 50; i++)
        {
            Assert.That(b.Gaussian(0, 1), Is.EqualTo(a.Gaussian(0, 1)));
            Assert.That(b.NextSeed(), Is.EqualTo(a.NextSeed()));
        }
        Assert.Throws<OmnivoreException>(() => b.Restore(new OmnivoreRngState { Next = 1 }));
    }
}
