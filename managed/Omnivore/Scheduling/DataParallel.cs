// DataParallel: synchronous data-parallel training of one net over several devices.
// The master net (the solver's train net, on the main device) keeps the parameters,
// runs only its source (data) layers, and so produces the full minibatch; each device's
// Replica takes its share of the rows and runs forward+backward concurrently on its own
// thread. Caffe's losses are means over the batch, so replica i (n_i of N images)
// computes a mean over n_i: the master gradient is sum_i (n_i / N) * grad_i, which
// equals the one-device gradient up to floating-point order; the loss and scalar outputs
// are weighted alike, and parameters a layer updates itself (BatchNorm's statistics)
// are averaged back. The solver then updates the master once; replicas copy the
// parameters at their next step. A replica that fails stops training with its device
// named. Rebalancer, when set, adjusts the shares from the measured step times.
using Omnivore.Core;
using Omnivore.Nets;

namespace Omnivore.Scheduling;

public sealed partial class DataParallel : IDisposable
{
    private readonly Net _master;
    private readonly List<int> _sources = [];
    private readonly List<Blob> _inputs = [];
    private readonly List<Replica> _replicas = [];
    private DeviceBuffer _scratch;
    private int[] _shares;

    /// <summary>Builds one replica per device; devices that fail to build are left out with a warning.</summary>
    public DataParallel(Net master, IReadOnlyList<ReplicaDevice> devices, Engine.ConvEngineOptions? convOptions = null, long seed = 1)
    {
        _master = master;
        for (int i = 0; i < master.Layers.Count; i++)
            if (master.Bottoms[i].Count == 0)
            {
                _sources.Add(i);
                _inputs.AddRange(master.Tops[i]);
            }
        if (_inputs.Count == 0) throw new OmnivoreException($"net '{master.Name}' has no data layer whose batch could be split");
        int batch = _inputs[0].NumAxes > 0 ? _inputs[0][0] : 0;
        foreach (var b in _inputs)
            if (b.NumAxes == 0 || b[0] != batch)
                throw new OmnivoreException($"the scheduler splits the batch along the first axis, but input blob '{b.Name}' " +
                                            $"has shape {b.ShapeString} while '{_inputs[0].Name}' has {_inputs[0].ShapeString}");
        var names = _inputs.Select(b => b.Name).ToList();
        for (int d = 0; d < devices.Count; d++)
        {
            try
            {
                _replicas.Add(new Replica(devices[d], master, names, convOptions, seed + 1000 * (d + 1)));
            }
            catch (OmnivoreException e)
            {
                Log.Warning($"device {devices[d].Label} failed to start and is left out: {e.Message}");
            }
            catch
            {
                Dispose();
                throw;
            }
        }
        if (_replicas.Count == 0)
            throw new OmnivoreException($"no device is left to train on: all {devices.Count} failed to start");
        foreach (var r in _replicas)
            Log.Info($"Scheduler: {r.Device.Label} exchanges parameters and gradients with the master {Transfer.Route(master.Device, r.Device.Device)}");
        _shares = new int[_replicas.Count];
        _shares[0] = batch;
        FcCut = FcSplit.Find(master, out string why);
        FcCutUnavailable = why;
    }

    public IReadOnlyList<Replica> Replicas => _replicas;
    public Net Master => _master;

    /// <summary>The batch the master's data layers produce (first axis of the inputs).</summary>
    public int Batch => _inputs[0][0];

    /// <summary>Images per replica (sum == Batch).</summary>
    public IReadOnlyList<int> Shares => _shares;

    public Rebalancer? Rebalancer { get; set; }

    /// <summary>Step seconds of each replica in the last step (0 for a replica with no share).</summary>
    public double[] LastSeconds { get; private set; } = [];

    /// <summary>Sums of step seconds per replica, and steps, since the last ResetTotals (for reports).</summary>
    public double[] TotalSeconds { get; private set; } = [];
    public int TotalSteps { get; private set; }
    /// <summary>Wall seconds of the concurrent phases (post to last replica done) since ResetTotals.</summary>
    public double TotalPhaseSeconds { get; private set; }
    /// <summary>Since ResetTotals: seconds from the phase's start to the last replica's start, and from the last replica's end to the phase's end (thread hand-over costs).</summary>
    public double TotalStartLatency { get; private set; }
    public double TotalFinishLatency { get; private set; }
    /// <summary>Since ResetTotals: the master's serial seconds in its data layers and in the gradient reduction.</summary>
    public double TotalSourceSeconds { get; private set; }
    public double TotalReduceSeconds { get; private set; }

    public void ResetTotals()
    {
        TotalSeconds = new double[_replicas.Count];
        TotalSteps = 0;
        TotalPhaseSeconds = 0;
        TotalStartLatency = 0;
        TotalFinishLatency = 0;
        TotalSourceSeconds = 0;
        TotalReduceSeconds = 0;
        TotalFcSeconds = 0;
    }

    public void SetShares(IReadOnlyList<int> shares)
    {
        if (shares.Count != _replicas.Count) throw new OmnivoreException($"{shares.Count} shares for {_replicas.Count} replicas");
        if (shares.Any(s => s < 0) || shares.Sum() != Batch)
            throw new OmnivoreException($"shares {string.Join("+", shares)} must be non-negative and sum to the batch {Batch}");
        _shares = shares.ToArray();
    }

    /// <summary>One forward+backward of the full batch; gradients accumulate into the master's arena.</summary>
    public float ForwardBackward() => Step(consumeData: true);

    /// <summary>One step; consumeData false keeps the inputs as they are (the mode probe reads no data).</summary>
    private float Step(bool consumeData)
    {
        if (consumeData)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            foreach (int i in _sources) _master.ForwardLayer(i);
            TotalSourceSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        int batch = Batch;
        if (_shares.Sum() != batch)
            throw new OmnivoreException($"the data layers now produce {batch} images, but the split covers {_shares.Sum()}");
        var active = Enumerable.Range(0, _replicas.Count).Where(i => _shares[i] > 0).ToList();
        var offsets = new int[_replicas.Count];
        for (int i = 1; i < offsets.Length; i++) offsets[i] = offsets[i - 1] + _shares[i - 1];
        long phase = System.Diagnostics.Stopwatch.GetTimestamp();
        float fcLoss = 0;
        if (ModelParallel is { } split)
            fcLoss = PhasesModelParallel(active, offsets, batch, split);
        else
            RunConcurrently(active, i => _replicas[i].Worker.Post(() => _replicas[i].Step(_master, _inputs, offsets[i], _shares[i])));
        long phaseEnd = System.Diagnostics.Stopwatch.GetTimestamp();
        TotalPhaseSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(phase, phaseEnd).TotalSeconds;
        TotalStartLatency += System.Diagnostics.Stopwatch.GetElapsedTime(phase, active.Max(i => _replicas[i].StartedAt)).TotalSeconds;
        TotalFinishLatency += System.Diagnostics.Stopwatch.GetElapsedTime(active.Max(i => _replicas[i].EndedAt), phaseEnd).TotalSeconds;
        var seconds = new double[_replicas.Count];
        foreach (int i in active) seconds[i] = _replicas[i].Seconds;
        LastSeconds = seconds;
        if (TotalSeconds.Length != seconds.Length) ResetTotals();
        for (int i = 0; i < seconds.Length; i++) TotalSeconds[i] += seconds[i];
        TotalSteps++;
        long reduce = System.Diagnostics.Stopwatch.GetTimestamp();
        float loss = ModelParallel is { } mp ? ReduceModelParallel(active, batch, mp, fcLoss) : Reduce(active, batch);
        TotalReduceSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(reduce).TotalSeconds;
        if (consumeData && Rebalancer?.Observe(_shares, seconds) is { } next)
        {
            _shares = next;
            Log.Info($"Scheduler: split now {Rebalancer.Describe(_shares)} ({Fmt.G(100 * Rebalancer.LastGain)}% faster predicted)");
        }
        return loss;
    }

    /// <summary>
    /// One line on the steps since ResetTotals (or since the start): the split, each replica's
    /// mean step and its share of the concurrent phase (how busy it was), and the master's
    /// serial milliseconds, for the end of a run.
    /// </summary>
    public string Summary()
    {
        if (TotalSteps == 0) return "Scheduler: no steps ran";
        double phase = TotalPhaseSeconds / TotalSteps;
        var devices = _replicas.Select((r, i) =>
            $"{r.Device.Label} {_shares[i]} images, {Fmt.G(1000 * TotalSeconds[i] / TotalSteps)} ms per step" +
            (phase > 0 ? $" ({Fmt.G(100 * TotalSeconds[i] / TotalSteps / phase)}% of the phase)" : ""));
        return $"Scheduler: {TotalSteps} steps{(ModelParallel is null ? "" : ", fully connected layers on the master")}; " +
               $"{string.Join(", ", devices)}; concurrent phase {Fmt.G(1000 * phase)} ms, data {Fmt.G(1000 * TotalSourceSeconds / TotalSteps)} ms, " +
               $"gradient sum {Fmt.G(1000 * TotalReduceSeconds / TotalSteps)} ms" +
               (ModelParallel is null ? "" : $", fully connected {Fmt.G(1000 * TotalFcSeconds / TotalSteps)} ms") + " per step";
    }

    /// <summary>
    /// One replica at a time (the others idle), each at its number of images: conv plans are
    /// probed or read from the cache undisturbed (Replica.SettlePlans). Replicas with 0 are skipped.
    /// </summary>
    public void SettlePlans(IReadOnlyList<int> images, TimeSpan? timeout = null, Action<int, Exception?>? onEach = null)
    {
        for (int i = 0; i < _replicas.Count; i++)
        {
            if (images[i] <= 0 || _replicas[i].Worker.Abandoned) continue;
            int n = images[i];
            RunConcurrently([i], j => _replicas[j].Worker.Post(() => _replicas[j].SettlePlans(n)), timeout, onEach);
        }
    }

    /// <summary>Posts a job per active replica inside a concurrent phase, waits for all, rethrows the first failure.</summary>
    public void RunConcurrently(IReadOnlyList<int> active, Action<int> post, TimeSpan? timeout = null, Action<int, Exception?>? onEach = null)
    {
        foreach (int i in active) _replicas[i].Device.Device.BeginConcurrent(active.Count);
        Exception? first = null;
        try
        {
            foreach (int i in active) post(i);
            foreach (int i in active)
            {
                Exception? error = null;
                try
                {
                    if (!_replicas[i].Worker.Wait(timeout))
                        error = new OmnivoreException($"{_replicas[i].Device.Label} did not finish within {timeout?.TotalSeconds} s");
                }
                catch (Exception e) { error = e; }
                if (onEach is not null) onEach(i, error);
                else first ??= error;
            }
        }
        finally
        {
            foreach (int i in active) _replicas[i].Device.Device.EndConcurrent();
        }
        if (first is not null) throw first;
    }

    private float Reduce(List<int> active, int batch)
    {
        double loss = 0;
        foreach (int i in active)
        {
            var r = _replicas[i];
            float w = (float)((double)_shares[i] / batch);
            Transfer.AddScaled(_master.Device, _master.Arena.Diff, w, r.Device.Device, r.Net.Arena.Diff, ref _scratch);
            loss += (double)_shares[i] / batch * r.Loss;
        }
        AverageOutputs(active, batch);
        AverageSelfUpdated(active, batch);
        return (float)loss;
    }

    /// <summary>The master's output blobs (loss, accuracy) become the weighted mean of the replicas' when sizes match.</summary>
    private void AverageOutputs(List<int> active, int batch)
    {
        foreach (var ob in _master.OutputBlobs)
        {
            if (_inputs.Contains(ob)) continue;
            var sum = new double[ob.Count];
            bool ok = true;
            foreach (int i in active)
            {
                var net = _replicas[i].Net;
                if (!net.HasBlob(ob.Name) || net.Blob(ob.Name).Count != ob.Count) { ok = false; break; }
                var v = net.Blob(ob.Name).DownloadData();
                for (int k = 0; k < v.Length; k++) sum[k] += (double)_shares[i] / batch * v[k];
            }
            if (ok) ob.UploadData(sum.Select(x => (float)x).ToArray());
        }
    }

    /// <summary>Parameters a layer updates in forward (BatchNorm's statistics): the weighted mean of the replicas'.</summary>
    private void AverageSelfUpdated(List<int> active, int batch, long below = long.MaxValue)
    {
        foreach (var e in _master.Arena.Owners)
        {
            if (e.Offset >= below) continue;
            if (_master.Layer(e.LayerName).ParamMultOverride(e.Index) is null) continue;
            var sum = new double[e.Blob.Count];
            foreach (int i in active)
            {
                var host = new float[e.Blob.Count];
                var r = _replicas[i];
                r.Device.Device.Download(host, r.Net.Arena.Data.Slice(e.Offset, e.Blob.Count));
                for (int k = 0; k < host.Length; k++) sum[k] += (double)_shares[i] / batch * host[k];
            }
            e.Blob.UploadData(sum.Select(x => (float)x).ToArray());
        }
    }

    public void Dispose()
    {
        foreach (var r in _replicas) r.Dispose();
        _replicas.Clear();
        if (!_scratch.IsNull) _master.Device.Free(_scratch);
        _scratch = default;
    }
}
