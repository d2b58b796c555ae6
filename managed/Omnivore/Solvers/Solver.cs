// Solver: Caffe's training loop. Each iteration clears the gradients, runs
// forward/backward iter_size times, logs in Caffe's format every `display` iterations,
// applies the update rule of the concrete solver, tests every `test_interval`
// iterations and snapshots every `snapshot` iterations, at the end, and when asked to
// stop (Ctrl-C).
using System.Diagnostics;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public abstract partial class Solver : IDisposable
{
    private readonly Queue<float> _recentLosses = new();
    private double _lossSum;
    private volatile bool _stopRequested;

    protected Solver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets)
    {
        Param = param;
        Net = trainNet;
        TestNets = testNets;
        Policy = new LearningRatePolicy(param);
        if (param.TestIter.Count != testNets.Count)
            throw new OmnivoreException($"solver: {testNets.Count} test nets but {param.TestIter.Count} test_iter values (give one per test net)");
    }

    public SolverParameter Param { get; }
    public Net Net { get; }
    public IReadOnlyList<Net> TestNets { get; }
    public LearningRatePolicy Policy { get; }
    public int Iter { get; protected set; }
    public float SmoothedLoss { get; private set; }

    /// <summary>The learning rate of the last update.</summary>
    public double LastRate { get; protected set; }

    /// <summary>Replaces the train net's forward+backward (the multi-device scheduler splits the batch
    /// over device replicas and leaves the summed gradients in Net's arena); null: Net.ForwardBackward.</summary>
    public Func<float>? ForwardBackwardHook { get; set; }

    /// <summary>Raised after each displayed iteration's update (loss smoothed as logged).</summary>
    public event Action<TrainProgress>? Displayed;

    /// <summary>Raised after each test pass, with LastTestScores.</summary>
    public event Action<int>? Tested;

    /// <summary>Test results of the last test pass: (net index, output name, value).</summary>
    public List<(int Net, string Name, float Value)> LastTestScores { get; } = [];

    /// <summary>Ask the loop to snapshot and return after the current iteration (thread-safe).</summary>
    public void RequestStop() => _stopRequested = true;
    public bool StopRequested => _stopRequested;

    private volatile bool _snapshotRequested;

    /// <summary>Ask for a snapshot after the current iteration, training on (thread-safe; SIGHUP).</summary>
    public void RequestSnapshot() => _snapshotRequested = true;

    /// <summary>Trains to max_iter (from the current Iter), as Caffe's Solver::Solve.</summary>
    public void Solve()
    {
        Log.Info($"Solving {Net.Name}");
        Log.Info($"Learning Rate Policy: {Param.LrPolicy}");
        Step(Param.MaxIter - Iter);
        // As Caffe: the final snapshot is written on an early stop too (snapshot_after_train).
        if (Param.SnapshotAfterTrain && (Param.Snapshot == 0 || Iter % Param.Snapshot != 0)) Snapshot();
        if (_stopRequested)
        {
            Log.Info($"Optimization stopped early at iteration {Iter}.");
            return;
        }
        if (Param.Display > 0 && Iter % Param.Display == 0)
        {
            float loss = Net.Forward();
            UpdateSmoothedLoss(loss, Iter - 1);
            Log.Info($"Iteration {Iter}, loss = {Fmt.G(SmoothedLoss)}");
        }
        if (Param.TestInterval > 0 && Iter % Param.TestInterval == 0) TestAll();
        Log.Info("Optimization Done.");
    }

    public void Step(int iters)
    {
        int start = Iter, stop = Iter + iters;
        var timer = Stopwatch.StartNew();
        int lastDisplayed = Iter;
        double displayedPerSecond = 0;
        DiffsCleared = false;  // the first iteration of a call clears: the diffs may have been written since
        while (Iter < stop && !_stopRequested)
        {
            if (!DiffsCleared) Net.ClearParamDiffs();
            DiffsCleared = false;
            if (Param.TestInterval > 0 && Iter % Param.TestInterval == 0 && (Iter > 0 || Param.TestInitialization))
                TestAll();
            bool display = Param.Display > 0 && Iter % Param.Display == 0;
            float loss = 0;
            for (int i = 0; i < Param.IterSize; i++) loss += ForwardBackwardHook?.Invoke() ?? Net.ForwardBackward();
            loss /= Param.IterSize;
            NumericalGuard.Check(this, loss);
            UpdateSmoothedLoss(loss, Iter - start);
            if (display)
            {
                double lapse = timer.Elapsed.TotalSeconds;
                double perSecond = (Iter - lastDisplayed) / (lapse > 0 ? lapse : 1);
                displayedPerSecond = perSecond;
                Log.Info($"Iteration {Iter} ({Fmt.G(perSecond)} iter/s, {Fmt.G(lapse)}s/{Param.Display} iters), loss = {Fmt.G(SmoothedLoss)}");
                timer.Restart();
                lastDisplayed = Iter;
                LogOutputs("Train", Net);
            }
            ApplyUpdate(display);
            if (display && Displayed is { } shown)
                shown(new TrainProgress(Iter, SmoothedLoss, LastRate, displayedPerSecond, BatchSize));
            Iter++;
            bool scheduled = Param.Snapshot > 0 && Iter % Param.Snapshot == 0;
            if (scheduled) Snapshot(); // also when stopping: Solve then skips its final one
            if (_snapshotRequested)
            {
                _snapshotRequested = false;
                if (!scheduled) Snapshot();
            }
        }
    }

    private void UpdateSmoothedLoss(float loss, int index)
    {
        int window = Math.Max(Param.AverageLoss, 1);
        _recentLosses.Enqueue(loss);
        _lossSum += loss;
        if (_recentLosses.Count > window) _lossSum -= _recentLosses.Dequeue();
        SmoothedLoss = (float)(_lossSum / _recentLosses.Count);
    }

    private void LogOutputs(string kind, Net net)
    {
        int index = 0;
        foreach (var blob in net.OutputBlobs)
        {
            var values = blob.DownloadData();
            float weight = net.LossWeightOf(blob);
            foreach (var v in values)
            {
                var loss = weight != 0 ? $" (* {Fmt.G(weight)} = {Fmt.G(weight * v)} loss)" : "";
                Log.Info($"    {kind} net output #{index++}: {blob.Name} = {Fmt.G(v)}{loss}");
            }
        }
    }

    public void TestAll()
    {
        LastTestScores.Clear();
        for (int i = 0; i < TestNets.Count; i++) Test(i);
        Tested?.Invoke(Iter);
    }

    /// <summary>Examples per forward pass of the train net (the first top's first axis).</summary>
    public int BatchSize => Net.Tops.Count > 0 && Net.Tops[0].Count > 0 && Net.Tops[0][0].NumAxes > 0 ? Net.Tops[0][0][0] : 0;

    private void Test(int id)
    {
        Log.Info($"Iteration {Iter}, Testing net (#{id})");
        var net = TestNets[id];
        net.ShareValuesFrom(Net);
        int iters = Param.TestIter[id];
        var sums = new List<double[]>();
        double loss = 0;
        for (int it = 0; it < iters; it++)
        {
            float l = net.Forward();
            if (Param.TestComputeLoss) loss += l;
            for (int o = 0; o < net.OutputBlobs.Count; o++)
            {
                var v = net.OutputBlobs[o].DownloadData();
                if (sums.Count <= o) sums.Add(new double[v.Length]);
                for (int k = 0; k < v.Length; k++) sums[o][k] += v[k];
            }
        }
        if (Param.TestComputeLoss) Log.Info($"Test loss: {Fmt.G(loss / iters)}");
        int index = 0;
        for (int o = 0; o < sums.Count; o++)
        {
            var blob = net.OutputBlobs[o];
            float weight = net.LossWeightOf(blob);
            foreach (var s in sums[o])
            {
                double mean = s / iters;
                var lossText = weight != 0 ? $" (* {Fmt.G(weight)} = {Fmt.G(weight * mean)} loss)" : "";
                Log.Info($"    Test net output #{index++}: {blob.Name} = {Fmt.G(mean)}{lossText}");
                LastTestScores.Add((id, blob.Name, (float)mean));
            }
        }
    }

    /// <summary>Applies one update from the gradients in the net's arena.</summary>
    protected abstract void ApplyUpdate(bool display);

    /// <summary>Set by ApplyUpdate when it left every parameter gradient zero (SGD clears them
    /// in its update pass): the next iteration then skips its clear. Caffe leaves the update
    /// in the diffs until that clear; only snapshot_diff shows them, and SGD does not clear
    /// early when it is set.</summary>
    protected bool DiffsCleared { get; set; }

    public virtual void Dispose()
    {
        Net.Dispose();
        foreach (var n in TestNets) n.Dispose();
    }
}

/// <summary>One displayed training iteration: smoothed loss, learning rate and speed.</summary>
public sealed record TrainProgress(int Iter, float Loss, double Lr, double IterationsPerSecond, int BatchSize)
{
    public double ImagesPerSecond => IterationsPerSecond * BatchSize;
}
