// Hdf5Snapshot: Caffe's HDF5 snapshot format (snapshot_format: HDF5), through PureHDF.
// A model file (.caffemodel.h5) holds a group "data" with one group per layer and one
// dataset per parameter blob ("0", "1", …, shaped like the blob). A solver state file
// (.solverstate.h5) holds "iter", "current_step", "learned_net" and a group "history"
// with one dataset per history blob. Both are converted to and from the same protobuf
// messages the binary format uses, so the rest of the code sees one form.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using PureHDF;

namespace Omnivore.Model;

public static class Hdf5Snapshot
{
    public static bool IsHdf5(string path) => path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);

    public static void WriteModel(NetParameter net, string path)
    {
        var data = new H5Group();
        foreach (var layer in net.Layer.Where(l => l.Blobs.Count > 0))
        {
            var group = new H5Group();
            for (int i = 0; i < layer.Blobs.Count; i++) group[i.ToString()] = Dataset(layer.Blobs[i]);
            data[layer.Name] = group;
        }
        var file = new H5File { ["data"] = data };
        AtomicFile.Write(path, s => file.Write(s));
    }

    public static NetParameter ReadModel(string path)
    {
        var net = new NetParameter();
        try
        {
            using var file = H5File.OpenRead(path);
            var data = file.Group("data");
            foreach (var child in data.Children())
            {
                if (child is not IH5Group group) continue;
                var layer = new LayerParameter { Name = child.Name };
                for (int i = 0; group.LinkExists(i.ToString()); i++) layer.Blobs.Add(ReadBlob(group.Dataset(i.ToString())));
                net.Layer.Add(layer);
            }
        }
        catch (Exception e) when (e is not OmnivoreException)
        {
            throw new OmnivoreException($"'{path}' is not a readable Caffe HDF5 model ({e.Message})", e);
        }
        return net;
    }

    public static void WriteState(SolverState state, string path)
    {
        var history = new H5Group();
        for (int i = 0; i < state.History.Count; i++) history[i.ToString()] = Dataset(state.History[i]);
        var file = new H5File
        {
            ["iter"] = new H5Dataset(new[] { state.Iter }, fileDims: [1]),
            ["current_step"] = new H5Dataset(new[] { state.CurrentStep }, fileDims: [1]),
            ["learned_net"] = new H5Dataset(new[] { state.LearnedNet }, fileDims: [1]),
            ["history"] = history,
        };
        AtomicFile.Write(path, s => file.Write(s));
    }

    public static SolverState ReadState(string path)
    {
        try
        {
            using var file = H5File.OpenRead(path);
            var state = new SolverState
            {
                Iter = file.Dataset("iter").Read<int[]>()[0],
                CurrentStep = file.Dataset("current_step").Read<int[]>()[0],
                LearnedNet = file.Dataset("learned_net").Read<string[]>()[0],
            };
            var history = file.Group("history");
            for (int i = 0; history.LinkExists(i.ToString()); i++) state.History.Add(ReadBlob(history.Dataset(i.ToString())));
            return state;
        }
        catch (Exception e) when (e is not OmnivoreException)
        {
            throw new OmnivoreException($"'{path}' is not a readable Caffe HDF5 solver state ({e.Message})", e);
        }
    }

    private static H5Dataset Dataset(BlobProto blob)
    {
        var dims = BlobShapes.ShapeOf(blob).Select(d => (ulong)d).ToArray();
        return new H5Dataset(BlobShapes.ValuesOf(blob), fileDims: dims.Length == 0 ? [1] : dims);
    }

    private static BlobProto ReadBlob(IH5Dataset ds)
    {
        var blob = new BlobProto { Shape = new BlobShape() };
        blob.Shape.Dim.AddRange(ds.Space.Dimensions.Select(d => (long)d));
        blob.Data.AddRange(ds.Type.Size == 8 ? ds.Read<double[]>().Select(x => (float)x) : ds.Read<float[]>());
        return blob;
    }
}
