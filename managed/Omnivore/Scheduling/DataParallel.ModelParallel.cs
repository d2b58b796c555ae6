// DataParallel.ModelParallel: the fully connected layers on the master (FcSplit). A step:
// every replica runs its share forward up to the cut and writes its boundary rows into
// the master's boundary blobs; the master runs the fully connected layers forward and
// backward on the whole batch (its own parameters, full-batch gradients, the loss);
// every replica takes its rows of the boundary gradient and runs backward to the first
// layer. Those gradients already carry the 1/N of the batch mean, so the master adds
// them with weight 1, over the parameters before the cut only; parameters after the cut
// never leave the master. Same result as one device up to floating-point order.
// TimeModes runs both kinds of step on the data in place (none is read) for the choice.
using System.Diagnostics;
using Omnivore.Core;

namespace Omnivore.Scheduling;

public sealed partial class DataParallel
{
    /// <summary>Where the net can be cut for model parallelism (null: it cannot, see FcCutUnavailable).</summary>
    public FcSplit? FcCut { get; }
    public string FcCutUnavailable { get; } = "";

    /// <summary>The cut in use; null: plain data parallelism.</summary>
    public FcSplit? ModelParallel { get; private set; }

    public void UseModelParallel(bool on)
    {
        if (on && FcCut is null) throw new OmnivoreException($"the fully connected layers cannot run on the master alone: {FcCutUnavailable}");
        ModelParallel = on ? FcCut : null;
    }

    private List<Blob> MasterBoundary(FcSplit split, int batch)
    {
        var blobs = split.Boundary.Select(_master.Blob).ToList();
        foreach (var b in blobs)
            if (b.NumAxes == 0 || b[0] != batch) b.Reshape([batch, .. b.Shape.Skip(1)]);
        return blobs;
    }

    private float PhasesModelParallel(List<int> active, int[] offsets, int batch, FcSplit split)
    {
        var boundary = MasterBoundary(split, batch);
        RunConcurrently(active, i => _replicas[i].Worker.Post(() =>
            _replicas[i].StepForward(_master, _inputs, offsets[i], _shares[i], split, boundary)));
        long fc = Stopwatch.GetTimestamp();
        foreach (int i in split.MasterLayers) _master.ForwardLayer(i);
        float loss = _master.ForwardRange(split.Start, _master.Layers.Count);
        _master.BackwardRange(split.Start, _master.Layers.Count);
        TotalFcSeconds += Stopwatch.GetElapsedTime(fc).TotalSeconds;
        RunConcurrently(active, i => _replicas[i].Worker.Post(() =>
            _replicas[i].StepBackward(_master, offsets[i], _shares[i], split, boundary)));
        return loss;
    }

    private float ReduceModelParallel(List<int> active, int batch, FcSplit split, float loss)
    {
        var diff = _master.Arena.Diff.Slice(0, split.ConvParams);
        foreach (int i in active)
        {
            var r = _replicas[i];
            Transfer.AddScaled(_master.Device, diff, 1f, r.Device.Device, r.Net.Arena.Diff.Slice(0, split.ConvParams), ref _scratch);
        }
        AverageSelfUpdated(active, batch, split.ConvParams);
        return loss;
    }

    /// <summary>Since ResetTotals: the master's seconds in the fully connected layers (model parallelism).</summary>
    public double TotalFcSeconds { get; private set; }

    /// <summary>A warm-up step longer than this (CaffeNet on a CPU) keeps TimeModes to one timed step per mode.</summary>
    public static double LongStepSeconds { get; set; } = 1.0;

    /// <summary>
    /// Median seconds of a step (forward, backward, gradient sum; no update) in each mode, on
    /// the inputs as they are: no data is read and the master's gradients are left cleared.
    /// </summary>
    public (double Data, double Model) TimeModes(int steps)
    {
        if (FcCut is null) throw new OmnivoreException($"no model-parallel cut: {FcCutUnavailable}");
        var saved = ModelParallel;
        // Layers that update their own parameters in forward (BatchNorm's statistics) would
        // move them here: keep the master's parameters as they were.
        var weights = new float[_master.Arena.Count];
        _master.Device.Download(weights, _master.Arena.Data);
        try
        {
            var data = new List<double>();
            var model = new List<double>();
            double warmup = 0;
            for (int k = 0; k <= steps; k++) // the first of each is a warm-up
            {
                foreach (bool mp in new[] { false, true })
                {
                    ModelParallel = mp ? FcCut : null;
                    var sw = Stopwatch.StartNew();
                    Step(consumeData: false);
                    if (k > 0) (mp ? model : data).Add(sw.Elapsed.TotalSeconds);
                    else warmup = Math.Max(warmup, sw.Elapsed.TotalSeconds);
                }
                if (k == 1 && warmup > LongStepSeconds) break; // long steps: one timed step each is enough
            }
            _master.ClearParamDiffs();
            return (data.Order().ElementAt(data.Count / 2), model.Order().ElementAt(model.Count / 2));
        }
        finally
        {
            ModelParallel = saved;
            _master.Device.Upload(_master.Arena.Data, weights);
            ResetTotals();
        }
    }
}
