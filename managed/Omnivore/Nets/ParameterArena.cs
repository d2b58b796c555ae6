// ParameterArena: every learnable parameter of a net, and every gradient, in one
// contiguous device buffer each, so that clearing gradients, a solver step or a
// gradient exchange between devices or machines is one call over one buffer. Params
// shared by name (param { name: "w" }) occupy one slot.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public sealed class ParameterArena : IDisposable
{
    /// <summary>One learnable parameter: its slot in the arena and its multipliers.</summary>
    public sealed record Entry(string LayerName, int Index, Blob Blob, long Offset, float LrMult, float DecayMult, bool IsOwner);

    private readonly IDevice _device;

    public ParameterArena(IDevice device, IReadOnlyList<Layer> layers)
    {
        _device = device;
        var owners = new Dictionary<string, (Blob Blob, long Offset, ParamSpec Spec, string Layer)>();
        var pending = new List<(Layer Layer, int Index, Blob Blob, long Offset, bool Owner)>();
        long total = 0;
        foreach (var layer in layers)
        {
            for (int i = 0; i < layer.Params.Count; i++)
            {
                var blob = layer.Params[i];
                var spec = i < layer.Param.Param.Count ? layer.Param.Param[i] : null;
                if (spec is { HasName: true } && spec.Name.Length > 0 && owners.TryGetValue(spec.Name, out var owner))
                {
                    bool strict = !spec.HasShareMode || spec.ShareMode == ParamSpec.Types.DimCheckMode.Strict;
                    if (strict ? !blob.SameShape(owner.Blob) : blob.Count != owner.Blob.Count)
                        throw new OmnivoreException(
                            $"layer '{layer.Name}' shares parameter '{spec.Name}' with layer '{owner.Layer}', but shapes differ: " +
                            $"{blob.ShapeString} vs {owner.Blob.ShapeString}");
                    pending.Add((layer, i, blob, owner.Offset, false));
                    continue;
                }
                if (spec is { HasName: true } && spec.Name.Length > 0) owners[spec.Name] = (blob, total, spec, layer.Name);
                pending.Add((layer, i, blob, total, true));
                total += blob.Count;
            }
        }
        Count = total;
        Data = device.Allocate(Math.Max(total, 1)).Slice(0, total);
        Diff = device.Allocate(Math.Max(total, 1)).Slice(0, total);
        var entries = new List<Entry>();
        foreach (var (layer, i, blob, offset, owner) in pending)
        {
            var data = Data.Slice(offset, blob.Count);
            if (owner) device.Copy(data, blob.Data); // keep the filler's values
            blob.BindTo(data, Diff.Slice(offset, blob.Count));
            entries.Add(new Entry(layer.Name, i, blob, offset, LrMult(layer, i), DecayMult(layer, i), owner));
        }
        Entries = entries;
    }

    public DeviceBuffer Data { get; }
    public DeviceBuffer Diff { get; }
    public long Count { get; }
    public IReadOnlyList<Entry> Entries { get; }

    /// <summary>The parameters that own a slot (shared ones appear once), in net order.</summary>
    public IEnumerable<Entry> Owners => Entries.Where(e => e.IsOwner);

    public static float LrMult(LayerParameter p, int i) => i < p.Param.Count ? p.Param[i].LrMult : 1f;
    public static float DecayMult(LayerParameter p, int i) => i < p.Param.Count ? p.Param[i].DecayMult : 1f;

    /// <summary>The multipliers in effect: the layer's override (BatchNorm's statistics) or its param specs.</summary>
    public static float LrMult(Layer layer, int i) => layer.ParamMultOverride(i)?.LrMult ?? LrMult(layer.Param, i);
    public static float DecayMult(Layer layer, int i) => layer.ParamMultOverride(i)?.DecayMult ?? DecayMult(layer.Param, i);

    public void ClearDiffs()
    {
        if (Count > 0) _device.Set(Diff, 0f);
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (Data.Ptr != 0) _device.Free(new DeviceBuffer(Data.Ptr, Math.Max(Count, 1)));
        if (Diff.Ptr != 0) _device.Free(new DeviceBuffer(Diff.Ptr, Math.Max(Count, 1)));
    }
}
