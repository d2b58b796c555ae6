// SgdFamilySolver: what Caffe's SGD-family solvers (SGD, Nesterov, AdaGrad, RMSProp,
// AdaDelta, Adam) share, as Caffe's SGDSolver::ApplyUpdate: clip the gradient summed over
// the iter_size passes by its global L2 norm, divide it by iter_size, regularise each
// parameter (L2: g += local_decay * w; L1: g += local_decay * sign(w), with local_decay =
// weight_decay * decay_mult), then let the concrete solver turn the gradient into the
// update at local_rate = rate * lr_mult and apply it (w -= update).
// The history is HistorySlots buffers (1, or 2 for AdaDelta and Adam), each laid out like
// the parameter arena, in one allocation. The .solverstate holds Caffe's history_: one
// blob per learnable parameter for slot 0, then (when there is one) one per parameter for
// slot 1, each with the parameter's shape.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public abstract class SgdFamilySolver : Solver
{
    private readonly DeviceBuffer _history;

    protected SgdFamilySolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets, int historySlots)
        : base(param, trainNet, testNets)
    {
        if (param.RegularizationType is not ("L1" or "L2") && param.WeightDecay != 0)
            throw new OmnivoreException($"solver: unknown regularization_type '{param.RegularizationType}' (known: L1, L2)");
        Device = trainNet.Device;
        HistorySlots = historySlots;
        long total = trainNet.Arena.Count * historySlots;
        _history = Device.Allocate(Math.Max(total, 1)).Slice(0, total);
    }

    /// <summary>Caffe's name of the solver type ("SGD", "Adam", ...).</summary>
    public abstract string Type { get; }

    /// <summary>History buffers per learnable parameter: 1, or 2 for AdaDelta and Adam.</summary>
    public int HistorySlots { get; }

    /// <summary>All history: slot 0 laid out like the parameter arena, then slot 1.</summary>
    public DeviceBuffer History => _history;

    public DeviceBuffer HistorySlot(int slot) => _history.Slice(slot * Net.Arena.Count, Net.Arena.Count);

    protected IDevice Device { get; }

    /// <summary>The history of one parameter in one slot.</summary>
    protected DeviceBuffer HistoryOf(ParameterArena.Entry e, int slot = 0) =>
        _history.Slice(slot * Net.Arena.Count + e.Offset, e.Blob.Count);

    /// <summary>Turns g (regularised) into the update of one parameter, updates its history
    /// and applies w -= update, as Caffe's ComputeUpdateValue followed by Net::Update.</summary>
    protected abstract void ComputeUpdate(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, double rate);

    /// <summary>Optionally fuses the L2 regularisation g += decay * w with the update, with the
    /// same float results; returns false (the default) to have them run separately. With
    /// clear, g is left zero (the next iteration's clear, in the same pass).</summary>
    protected virtual bool ComputeUpdateWithL2(ParameterArena.Entry e, DeviceBuffer w, DeviceBuffer g, float decay, double rate,
                                               bool clear) => false;

    /// <summary>Whether the fused L2 update clears the gradients as it goes (SGD, unless
    /// snapshot_diff asks for the update values in the snapshots).</summary>
    protected virtual bool ClearsInUpdate => false;

    /// <summary>Caffe's local rate of a parameter: rate * lr_mult.</summary>
    protected static float LocalRate(double rate, ParameterArena.Entry e) => (float)(rate * e.LrMult);

    protected override void ApplyUpdate(bool display)
    {
        double rate = Policy.Rate(Iter);
        LastRate = rate;
        if (display) Log.Info($"Iteration {Iter}, lr = {Fmt.G(rate)}");
        var arena = Net.Arena;
        if (arena.Count == 0) return;
        // Frozen parameters (lr_mult 0) get no gradient in Caffe; zero theirs so that
        // clipping's global norm sees only what is trained.
        foreach (var e in arena.Owners)
            if (e.LrMult == 0) Device.Set(arena.Diff.Slice(e.Offset, e.Blob.Count), 0f);
        // Caffe clips the gradient summed over iter_size passes, then normalises it.
        ClipGradients(arena);
        if (Param.IterSize > 1) Device.Scale(arena.Diff, 1f / Param.IterSize);
        bool clear = ClearsInUpdate;
        foreach (var e in arena.Owners)
        {
            var w = arena.Data.Slice(e.Offset, e.Blob.Count);
            var g = arena.Diff.Slice(e.Offset, e.Blob.Count);
            float decay = Param.WeightDecay * e.DecayMult;
            if (decay != 0 && Param.RegularizationType == "L2" && ComputeUpdateWithL2(e, w, g, decay, rate, clear)) continue;
            Regularize(w, g, decay);
            ComputeUpdate(e, w, g, rate);
            // The others (biases: decay_mult 0) are cleared here, so that all of them are.
            if (clear) Device.Set(g, 0f);
        }
        // Saves a pass over all the gradients (CaffeNet: 61 M floats, 12-14 ms on 2 cores).
        DiffsCleared = clear;
    }

    private void Regularize(DeviceBuffer w, DeviceBuffer g, float localDecay)
    {
        if (localDecay == 0) return;
        if (Param.RegularizationType == "L1") Device.SignAxpy(g, localDecay, w);
        else Device.Axpby(g, localDecay, w, 1f);
    }

    private void ClipGradients(ParameterArena arena)
    {
        float clip = Param.ClipGradients;
        if (clip < 0) return;
        double norm = Math.Sqrt(Device.Dot(arena.Diff, arena.Diff));
        if (norm > clip)
        {
            float factor = (float)(clip / norm);
            Log.Info($"Gradient clipping: scaling down gradients (L2 norm {Fmt.G(norm)} > {Fmt.G(clip)}) by scale factor {Fmt.G(factor)}");
            Device.Scale(arena.Diff, factor);
        }
    }

    protected override IEnumerable<BlobProto> SaveHistory()
    {
        var host = new float[_history.Length];
        Device.Download(host, _history);
        for (int slot = 0; slot < HistorySlots; slot++)
        {
            long start = slot * Net.Arena.Count;
            foreach (var e in Net.Arena.Owners)
            {
                var p = new BlobProto { Shape = new BlobShape() };
                p.Shape.Dim.AddRange(e.Blob.Shape.Select(d => (long)d));
                p.Data.AddRange(new ArraySegment<float>(host, (int)(start + e.Offset), (int)e.Blob.Count));
                yield return p;
            }
        }
    }

    protected override void RestoreHistory(IReadOnlyList<BlobProto> history, string source)
    {
        var owners = Net.Arena.Owners.ToList();
        int expected = owners.Count * HistorySlots;
        if (history.Count != expected)
        {
            var per = HistorySlots == 1 ? "one" : $"{HistorySlots}";
            throw new OmnivoreException($"{source}: holds {history.Count} history blobs; a {Type} solver for this net needs {expected} " +
                                        $"({per} per learnable parameter, {owners.Count} parameters)");
        }
        for (int i = 0; i < expected; i++)
        {
            var owner = owners[i % owners.Count];
            var values = BlobShapes.ValuesOf(history[i]);
            if (values.Length != owner.Blob.Count)
                throw new OmnivoreException($"{source}: history blob {i} holds {values.Length} values; parameter " +
                                            $"{owner.LayerName}[{owner.Index}] has shape {owner.Blob.ShapeString}");
            Device.Upload(HistoryOf(owner, i / owners.Count), values);
        }
    }

    public override void Dispose()
    {
        if (_history.Ptr != 0) Device.Free(new DeviceBuffer(_history.Ptr, Math.Max(_history.Length, 1)));
        base.Dispose();
    }
}
