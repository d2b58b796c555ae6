// SgdSolver: Caffe's "SGD" solver: optional clipping by global L2 norm, gradient
// normalisation over iter_size (in Caffe's order), L2 weight decay, and momentum:
//   h = momentum * h + lr * lr_mult * (g + weight_decay * decay_mult * w);  w -= h
// The momentum history lives in one buffer laid out like the parameter arena.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public sealed class SgdSolver : Solver
{
    private readonly DeviceBuffer _history;
    private readonly IDevice _device;

    public SgdSolver(SolverParameter param, Net trainNet, IReadOnlyList<Net> testNets) : base(param, trainNet, testNets)
    {
        if (param.RegularizationType != "L2")
            throw new OmnivoreException($"solver: regularization_type '{param.RegularizationType}' is not implemented yet (L2 is)");
        _device = trainNet.Device;
        _history = _device.Allocate(Math.Max(trainNet.Arena.Count, 1)).Slice(0, trainNet.Arena.Count);
    }

    public DeviceBuffer History => _history;

    protected override void ApplyUpdate(bool display)
    {
        double rate = Policy.Rate(Iter);
        if (display) Log.Info($"Iteration {Iter}, lr = {Fmt.G(rate)}");
        var arena = Net.Arena;
        if (arena.Count == 0) return;
        // Caffe clips the gradient summed over iter_size passes, then normalises it.
        ClipGradients(arena);
        if (Param.IterSize > 1) _device.Scale(arena.Diff, 1f / Param.IterSize);
        foreach (var e in arena.Owners)
        {
            var w = arena.Data.Slice(e.Offset, e.Blob.Count);
            var g = arena.Diff.Slice(e.Offset, e.Blob.Count);
            float decay = Param.WeightDecay * e.DecayMult;
            if (decay != 0) _device.Axpby(g, decay, w, 1f);
            _device.SgdUpdate(w, g, _history.Slice(e.Offset, e.Blob.Count), Param.Momentum, (float)(rate * e.LrMult));
        }
    }

    private void ClipGradients(ParameterArena arena)
    {
        float clip = Param.ClipGradients;
        if (clip < 0) return;
        double norm = Math.Sqrt(_device.Dot(arena.Diff, arena.Diff));
        if (norm > clip)
        {
            float factor = (float)(clip / norm);
            Log.Info($"Gradient clipping: scaling down gradients (L2 norm {Fmt.G(norm)} > {Fmt.G(clip)}) by scale factor {Fmt.G(factor)}");
            _device.Scale(arena.Diff, factor);
        }
    }

    protected override IEnumerable<BlobProto> SaveHistory()
    {
        var host = new float[_history.Length];
        _device.Download(host, _history);
        foreach (var e in Net.Arena.Owners)
        {
            var p = new BlobProto { Shape = new BlobShape() };
            p.Shape.Dim.AddRange(e.Blob.Shape.Select(d => (long)d));
            p.Data.AddRange(new ArraySegment<float>(host, (int)e.Offset, (int)e.Blob.Count));
            yield return p;
        }
    }

    protected override void RestoreHistory(IReadOnlyList<BlobProto> history, string source)
    {
        var owners = Net.Arena.Owners.ToList();
        if (history.Count != owners.Count)
            throw new OmnivoreException($"{source}: holds {history.Count} history blobs, the net has {owners.Count} learnable parameters");
        for (int i = 0; i < owners.Count; i++)
        {
            var values = BlobShapes.ValuesOf(history[i]);
            if (values.Length != owners[i].Blob.Count)
                throw new OmnivoreException($"{source}: history blob {i} holds {values.Length} values; parameter " +
                                            $"{owners[i].LayerName}[{owners[i].Index}] has shape {owners[i].Blob.ShapeString}");
            _device.Upload(_history.Slice(owners[i].Offset, values.Length), values);
        }
    }

    public override void Dispose()
    {
        if (_history.Ptr != 0) _device.Free(new DeviceBuffer(_history.Ptr, Math.Max(_history.Length, 1)));
        base.Dispose();
    }
}
