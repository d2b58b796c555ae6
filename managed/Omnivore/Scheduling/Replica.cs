// Replica: one device's copy of the train net for data-parallel training. It is built
// from the master's net with every source layer (data layers: no bottoms) replaced by an
// Input layer of the same tops, so the replica reads nothing itself: each step it takes
// the master's current parameters and its rows [offset, offset + n) of the master's
// input blobs, clears its own gradient arena and runs forward+backward on its device,
// on its own worker thread. With the fully connected layers on the master (FcSplit) a
// step comes in two halves: StepForward up to the cut, StepBackward from it. An optional
// slowdown sleeps (factor - 1) x the compute time afterwards (a stand-in for a slower device). Seconds is the whole step as seen by
// the device's thread (copies, compute and sleep), which is what the balance needs.
using System.Diagnostics;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Scheduling;

public sealed class Replica : IDisposable
{
    private Engine.ConvEngine? _conv;
    private readonly List<Blob> _inputs = [];

    public Replica(ReplicaDevice device, Net master, IReadOnlyList<string> inputs, Engine.ConvEngineOptions? convOptions, long seed)
    {
        Device = device;
        Worker = new DeviceWorker(device.Device, device.Label);
        try
        {
            var param = ReplicaParam(master);
            Worker.Post(() =>
            {
                _conv = new Engine.ConvEngine(device.Device, convOptions ?? Engine.ConvEngineOptions.Default) { AllowProbe = false };
                Net = new Net(param, device.Device, new Rng(seed), master.State, master.Source + $" ({device.Label})", _conv);
            });
            if (!Worker.Wait(BuildTimeout))
                throw new OmnivoreException($"{device.Label} did not build its replica within {BuildTimeout.TotalSeconds} s");
            if (Net.Arena.Count != master.Arena.Count)
                throw new OmnivoreException($"{device.Label}: the replica has {Net.Arena.Count} parameters, the master {master.Arena.Count}");
            foreach (var name in inputs) _inputs.Add(Net.Blob(name));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Longest a device may take to build its replica before it is left out.</summary>
    public static TimeSpan BuildTimeout { get; set; } = TimeSpan.FromSeconds(120);

    public ReplicaDevice Device { get; }
    public DeviceWorker Worker { get; }
    public Net Net { get; private set; } = null!;
    /// <summary>The replica's convolution engine (its plan choices are in Conv.Choices).</summary>
    public Engine.ConvEngine? Conv => _conv;
    public float Loss { get; private set; }
    public double Seconds { get; private set; }
    public double ComputeSeconds { get; private set; }
    /// <summary>Stopwatch timestamps of the last Step's start and end on the worker thread.</summary>
    public long StartedAt { get; private set; }
    public long EndedAt { get; private set; }

    /// <summary>The master's net with each source layer replaced by an Input layer of the master's top shapes.</summary>
    public static NetParameter ReplicaParam(Net master)
    {
        var p = master.Param.Clone();
        p.Layer.Clear();
        for (int i = 0; i < master.Layers.Count; i++)
        {
            var lp = master.Param.Layer[i];
            if (master.Bottoms[i].Count > 0)
            {
                p.Layer.Add(lp.Clone());
                continue;
            }
            var input = new LayerParameter { Name = lp.Name, Type = "Input", InputParam = new InputParameter() };
            input.Top.AddRange(lp.Top);
            foreach (var top in master.Tops[i])
            {
                var shape = new BlobShape();
                shape.Dim.AddRange(top.Shape.Select(d => (long)d));
                input.InputParam.Shape.Add(shape);
            }
            p.Layer.Add(input);
        }
        return p;
    }

    /// <summary>Reshapes the inputs to n images (for a probe; the data are whatever is there).</summary>
    public void Prepare(int n)
    {
        foreach (var b in _inputs) b.Reshape([n, .. b.Shape.Skip(1)]);
    }

    /// <summary>On the worker thread: pull parameters and rows, forward+backward, slowdown.</summary>
    public void Step(Net master, IReadOnlyList<Blob> masterInputs, int offset, int n)
    {
        StartedAt = Stopwatch.GetTimestamp();
        var sw = Stopwatch.StartNew();
        var dev = Device.Device;
        Transfer.Copy(dev, Net.Arena.Data, master.Device, master.Arena.Data);
        CopyRows(master, masterInputs, offset, n);
        Net.ClearParamDiffs();
        Loss = Net.ForwardBackward();
        ComputeSeconds = sw.Elapsed.TotalSeconds;
        SlowDown(ComputeSeconds);
        Seconds = sw.Elapsed.TotalSeconds;
        EndedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Model parallelism, first half, on the worker thread: pull the parameters before the cut
    /// and the rows, run layers [0, cut) forward, and hand the boundary rows to the master's
    /// boundary blobs (rows [offset, offset + n)).
    /// </summary>
    public void StepForward(Net master, IReadOnlyList<Blob> masterInputs, int offset, int n, FcSplit split, IReadOnlyList<Blob> masterBoundary)
    {
        StartedAt = Stopwatch.GetTimestamp();
        var sw = Stopwatch.StartNew();
        var dev = Device.Device;
        Transfer.Copy(dev, Net.Arena.Data.Slice(0, split.ConvParams), master.Device, master.Arena.Data.Slice(0, split.ConvParams));
        CopyRows(master, masterInputs, offset, n);
        dev.Set(Net.Arena.Diff.Slice(0, split.ConvParams), 0f);
        Net.ForwardRange(0, split.Start);
        for (int k = 0; k < masterBoundary.Count; k++)
        {
            var mine = Net.Blob(masterBoundary[k].Name);
            long per = mine.CountFrom(1);
            Transfer.Copy(master.Device, masterBoundary[k].Data.Slice(offset * per, n * per), dev, mine.Data);
        }
        ComputeSeconds = sw.Elapsed.TotalSeconds;
        SlowDown(ComputeSeconds);
        Seconds = sw.Elapsed.TotalSeconds;
    }

    /// <summary>Model parallelism, second half: take the boundary gradient rows from the master, run layers [0, cut) backward.</summary>
    public void StepBackward(Net master, int offset, int n, FcSplit split, IReadOnlyList<Blob> masterBoundary)
    {
        var sw = Stopwatch.StartNew();
        var dev = Device.Device;
        for (int k = 0; k < masterBoundary.Count; k++)
        {
            var mine = Net.Blob(masterBoundary[k].Name);
            long per = mine.CountFrom(1);
            Transfer.Copy(dev, mine.Diff, master.Device, masterBoundary[k].Diff.Slice(offset * per, n * per));
        }
        Net.BackwardRange(0, split.Start);
        double compute = sw.Elapsed.TotalSeconds;
        ComputeSeconds += compute;
        SlowDown(compute);
        Seconds += sw.Elapsed.TotalSeconds;
        EndedAt = Stopwatch.GetTimestamp();
    }

    private void CopyRows(Net master, IReadOnlyList<Blob> masterInputs, int offset, int n)
    {
        for (int k = 0; k < _inputs.Count; k++)
        {
            var src = masterInputs[k];
            long per = src.CountFrom(1);
            _inputs[k].Reshape([n, .. src.Shape.Skip(1)]);
            Transfer.Copy(Device.Device, _inputs[k].Data, master.Device, src.Data.Slice(offset * per, n * per));
        }
    }

    /// <summary>
    /// On the worker thread, while no other replica runs: reshape to n images and run one
    /// forward+backward with the convolution probe allowed, so each conv layer's plan is
    /// measured (or read from the cache) undisturbed; later batches of the same shapes reuse it.
    /// </summary>
    public void SettlePlans(int n)
    {
        Prepare(n);
        if (_conv is not null) _conv.AllowProbe = true;
        try { Net.ClearParamDiffs(); Net.ForwardBackward(); }
        finally { if (_conv is not null) _conv.AllowProbe = false; }
    }

    /// <summary>On the worker thread: one forward+backward of whatever the inputs hold (probes).</summary>
    public double StepInPlace()
    {
        var sw = Stopwatch.StartNew();
        Net.ClearParamDiffs();
        Net.ForwardBackward();
        SlowDown(sw.Elapsed.TotalSeconds);
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>Waits (slowdown - 1) x compute: whole milliseconds asleep, the rest yielding (Sleep rounds down).</summary>
    private void SlowDown(double compute)
    {
        if (Device.Slowdown <= 1) return;
        var sw = Stopwatch.StartNew();
        double wait = (Device.Slowdown - 1) * compute;
        if (wait >= 0.002) Thread.Sleep((int)(wait * 1000) - 1);
        while (sw.Elapsed.TotalSeconds < wait) Thread.Yield();
    }

    public void Dispose()
    {
        try
        {
            if (!Worker.Abandoned && (Net is not null || _conv is not null))
                Worker.Run(() =>
                {
                    Net?.Dispose();
                    _conv?.Dispose();
                });
        }
        catch (OmnivoreException e)
        {
            Log.Warning($"{Device.Label}: releasing the replica failed: {e.Message}");
        }
        Worker.Dispose();
    }
}
