// FcSplit: where a net can be cut for model parallelism of its fully connected layers
// (the option of Omnivore and CcT). Layers from the first InnerProduct that no
// Convolution follows run once, on the master, on the whole batch; the layers before
// them stay data-parallel on the replicas. The boundary blobs are what the replicas hand
// the master (their rows of pool5 in CaffeNet) and get back the gradient of. Only the
// parameters before the cut (a prefix of the arena) then cross between devices each
// step: 2.3 M of CaffeNet's 61 M. Find says why a net cannot be cut.
using Omnivore.Core;
using Omnivore.Nets;

namespace Omnivore.Scheduling;

public sealed record FcSplit(int Start, IReadOnlyList<string> Boundary, long ConvParams, long FcParams, string FirstLayer, string LastLayer)
{
    /// <summary>Layers before the cut that the master runs itself: they only reshape or split the data layers' tops.</summary>
    public IReadOnlyList<int> MasterLayers { get; init; } = [];

    public string Describe() =>
        $"layers {FirstLayer}..{LastLayer} ({Fmt.G(FcParams / 1e6)} M of {Fmt.G((ConvParams + FcParams) / 1e6)} M parameters) " +
        $"on the master, fed by {string.Join(", ", Boundary)}";

    /// <summary>The cut of the master net, or null with the reason.</summary>
    public static FcSplit? Find(Net net, out string why)
    {
        var layers = net.Layers;
        var types = layers.Select(l => l.Param.Type).ToList();
        int lastConv = types.FindLastIndex(t => t is "Convolution" or "Deconvolution");
        int start = -1;
        for (int i = lastConv + 1; i < layers.Count; i++)
            if (types[i] == "InnerProduct" && net.Bottoms[i].Count > 0) { start = i; break; }
        if (start < 0)
        {
            why = "no InnerProduct layer after the last convolution";
            return null;
        }
        for (int i = 0; i < start; i++)
            if (layers[i].LossWeights.Any(w => w != 0))
            {
                why = $"layer '{layers[i].Name}' computes a loss before the fully connected layers";
                return null;
            }
        for (int i = start; i < layers.Count; i++)
            if (net.Bottoms[i].Count == 0)
            {
                why = $"data layer '{layers[i].Name}' comes after the fully connected layers";
                return null;
            }
        // Blobs the master has without the replicas: the data layers' tops and what layers
        // without parameters make of them alone (Caffe's Split of a label read twice).
        var sourceTops = new HashSet<Blob>(Enumerable.Range(0, layers.Count).Where(i => net.Bottoms[i].Count == 0).SelectMany(i => net.Tops[i]));
        var masterLayers = new List<int>();
        for (int i = 0; i < start; i++)
            if (net.Bottoms[i].Count > 0 && layers[i].Params.Count == 0 && net.Bottoms[i].All(sourceTops.Contains))
            {
                masterLayers.Add(i);
                foreach (var t in net.Tops[i]) sourceTops.Add(t);
            }
        var before = new HashSet<Blob>(Enumerable.Range(0, start).SelectMany(i => net.Tops[i]));
        var boundary = Enumerable.Range(start, layers.Count - start).SelectMany(i => net.Bottoms[i])
            .Where(b => before.Contains(b) && !sourceTops.Contains(b)).Distinct().ToList();
        if (boundary.Count == 0)
        {
            why = "nothing flows from the convolutions into the fully connected layers";
            return null;
        }
        var names = new HashSet<string>(layers.Take(start).Select(l => l.Name));
        long conv = net.Arena.Owners.Where(e => names.Contains(e.LayerName)).Sum(e => e.Blob.Count);
        foreach (var e in net.Arena.Entries)
        {
            bool early = names.Contains(e.LayerName);
            if (early ? e.Offset + e.Blob.Count > conv : e.Offset < conv)
            {
                why = $"layer '{e.LayerName}' shares a parameter across the cut";
                return null;
            }
        }
        long fc = net.Arena.Count - conv;
        if (fc == 0)
        {
            why = "the fully connected layers have no parameters";
            return null;
        }
        why = "";
        return new FcSplit(start, boundary.Select(b => b.Name).ToList(), conv, fc, layers[start].Name, layers[^1].Name) { MasterLayers = masterLayers };
    }
}
