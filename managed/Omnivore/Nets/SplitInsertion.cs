// SplitInsertion: where one blob is read by several layers, insert a Split layer that
// gives each reader its own copy, so backward sums their gradients (Caffe's
// InsertSplits, with its naming: "<blob>_<layer>_<top>_split_<k>").
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public static class SplitInsertion
{
    public static string SplitLayerName(string layer, string blob, int topIndex) => $"{blob}_{layer}_{topIndex}_split";
    public static string SplitBlobName(string layer, string blob, int topIndex, int k) => $"{blob}_{layer}_{topIndex}_split_{k}";

    public static NetParameter Insert(NetParameter net)
    {
        // producer of each blob name as it is read: (layer index, top index)
        var lastProducer = new Dictionary<string, (int Layer, int Top)>();
        var readers = new Dictionary<(int, int), int>();
        var bottomSource = new Dictionary<(int, int), (int, int)>();
        for (int i = 0; i < net.Layer.Count; i++)
        {
            var l = net.Layer[i];
            for (int j = 0; j < l.Bottom.Count; j++)
            {
                if (!lastProducer.TryGetValue(l.Bottom[j], out var src)) continue; // unknown blob: the net reports it
                bottomSource[(i, j)] = src;
                readers[src] = readers.GetValueOrDefault(src) + 1;
            }
            for (int t = 0; t < l.Top.Count; t++)
            {
                lastProducer[l.Top[t]] = (i, t);
                if (t < l.LossWeight.Count && l.LossWeight[t] != 0) readers[(i, t)] = readers.GetValueOrDefault((i, t)) + 1;
            }
        }
        if (!readers.Values.Any(n => n > 1)) return net;

        var result = net.Clone();
        result.Layer.Clear();
        var nextSplit = new Dictionary<(int, int), int>();
        for (int i = 0; i < net.Layer.Count; i++)
        {
            var l = net.Layer[i].Clone();
            for (int j = 0; j < l.Bottom.Count; j++)
            {
                if (!bottomSource.TryGetValue((i, j), out var src) || readers[src] <= 1) continue;
                int k = nextSplit.GetValueOrDefault(src);
                nextSplit[src] = k + 1;
                l.Bottom[j] = SplitBlobName(net.Layer[src.Item1].Name, l.Bottom[j], src.Item2, k);
            }
            result.Layer.Add(l);
            for (int t = 0; t < l.Top.Count; t++)
            {
                int n = readers.GetValueOrDefault((i, t));
                if (n <= 1) continue;
                var split = new LayerParameter { Name = SplitLayerName(l.Name, l.Top[t], t), Type = "Split" };
                split.Bottom.Add(l.Top[t]);
                for (int k = 0; k < n; k++) split.Top.Add(SplitBlobName(l.Name, l.Top[t], t, k));
                if (t < l.LossWeight.Count && l.LossWeight[t] != 0)
                {
                    // The loss is taken from the split's first copy; the layer's own top carries none.
                    split.LossWeight.Add(l.LossWeight[t]);
                    for (int k = 1; k < n; k++) split.LossWeight.Add(0);
                    l.LossWeight[t] = 0;
                    nextSplit[(i, t)] = 1;
                }
                result.Layer.Add(split);
            }
        }
        return result;
    }
}
