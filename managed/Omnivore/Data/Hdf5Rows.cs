// Hdf5Rows: reads one dataset of an HDF5 file (through PureHDF, pure .NET, MIT) as rows of
// floats: the first dimension counts the rows, the rest is one row's shape. Float and
// double datasets are accepted, as Caffe's HDF5 data layer accepts both.
using Omnivore.Core;
using PureHDF;

namespace Omnivore.Data;

public sealed record Hdf5Table(float[] Values, int Rows, int[] RowShape)
{
    public int RowLength => RowShape.Aggregate(1, (a, b) => a * b);
}

public static class Hdf5Rows
{
    public static Hdf5Table Read(string file, string dataset)
    {
        if (!File.Exists(file)) throw new OmnivoreException($"HDF5 file '{file}' does not exist");
        try
        {
            using var h5 = H5File.OpenRead(file);
            var ds = h5.Dataset(dataset);
            var dims = ds.Space.Dimensions;
            if (dims.Length == 0) throw new OmnivoreException($"{file}: dataset '{dataset}' is a scalar; expected rows");
            float[] values = ds.Type.Size == 8
                ? ds.Read<double[]>().Select(x => (float)x).ToArray()
                : ds.Read<float[]>();
            var rowShape = dims.Skip(1).Select(d => checked((int)d)).ToArray();
            return new Hdf5Table(values, checked((int)dims[0]), rowShape);
        }
        catch (Exception e) when (e is not OmnivoreException)
        {
            throw new OmnivoreException($"{file}: cannot read dataset '{dataset}' ({e.Message})", e);
        }
    }
}
