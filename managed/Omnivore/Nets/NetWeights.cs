// NetWeights: a net's parameters to and from Caffe's .caffemodel (a binary NetParameter
// whose layers carry their blobs): copy by layer name with shape checks, and export.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public sealed partial class Net
{
    /// <summary>Copies parameters from a trained net, layer by layer, matched by name.</summary>
    public void CopyTrainedLayersFrom(NetParameter trained, string source)
    {
        trained = NetUpgrade.UpgradeAsNeeded(trained, source);
        foreach (var src in trained.Layer)
        {
            var target = _layers.FirstOrDefault(l => l.Name == src.Name);
            if (target is null)
            {
                if (src.Blobs.Count > 0) Log.Info($"Ignoring source layer {src.Name}");
                continue;
            }
            if (src.Blobs.Count == 0) continue;
            if (src.Blobs.Count != target.Params.Count)
                throw new OmnivoreException(
                    $"{source}: layer '{src.Name}' holds {src.Blobs.Count} blobs, but the net's layer '{target.Name}' has {target.Params.Count} parameters");
            for (int i = 0; i < src.Blobs.Count; i++)
            {
                var blob = target.Params[i];
                if (!BlobShapes.Matches(src.Blobs[i], blob.Shape))
                    throw new OmnivoreException(
                        $"{source}: cannot copy param {i} of layer '{src.Name}': shape mismatch; " +
                        $"source shape {BlobShapes.Text(src.Blobs[i])}, target shape {blob.ShapeString}");
                var values = BlobShapes.ValuesOf(src.Blobs[i]);
                if (values.Length != blob.Count)
                    throw new OmnivoreException($"{source}: param {i} of layer '{src.Name}' holds {values.Length} values for shape {blob.ShapeString}");
                blob.UploadData(values);
            }
        }
    }

    public void CopyTrainedLayersFrom(string path)
    {
        var p = ReadCaffeModel(path);
        CopyTrainedLayersFrom(p, path);
    }

    /// <summary>Copies parameter values from another net (e.g. train → test) by layer name.</summary>
    public void ShareValuesFrom(Net other)
    {
        foreach (var layer in _layers)
        {
            if (layer.Params.Count == 0) continue;
            var src = other._layers.FirstOrDefault(l => l.Name == layer.Name);
            if (src is null || src.Params.Count != layer.Params.Count) continue;
            for (int i = 0; i < layer.Params.Count; i++)
                if (src.Params[i].SameShape(layer.Params[i])) Device.Copy(layer.Params[i].Data, src.Params[i].Data);
        }
    }

    public static NetParameter ReadCaffeModel(string path)
    {
        if (!File.Exists(path)) throw new OmnivoreException($"weights file '{path}' does not exist");
        if (Hdf5Snapshot.IsHdf5(path)) return Hdf5Snapshot.ReadModel(path);
        NetParameter parsed;
        try
        {
            using var stream = File.OpenRead(path);
            parsed = NetParameter.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OmnivoreException($"'{path}' is not a valid .caffemodel (truncated or corrupt: {e.Message})", e);
        }
        // Caffe models saved with V1 layers (`layers`, field 2) read as current ones.
        return NetUpgrade.UpgradeAsNeeded(parsed, path);
    }

    /// <summary>The net as a Caffe NetParameter with every layer's learned blobs.</summary>
    public NetParameter ToProto(bool withDiff = false)
    {
        var p = new NetParameter { Name = Name };
        foreach (var layer in _layers)
        {
            if (layer.Type == "Split") continue;
            var lp = layer.Param.Clone();
            lp.Blobs.Clear();
            foreach (var b in layer.Params) lp.Blobs.Add(BlobShapes.ToProto(b, withDiff));
            p.Layer.Add(lp);
        }
        return p;
    }
}
