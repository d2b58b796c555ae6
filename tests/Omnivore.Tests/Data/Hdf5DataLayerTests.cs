// Hdf5DataLayerTests: the HDF5Data layer reads datasets named like its tops from the files
// listed in its source, in batches that run across files and wrap around; float and
// double datasets both load; errors name the layer and the file.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Layers;
using Omnivore.Tests.Support;
using PureHDF;

namespace Omnivore.Tests.Data;

[TestFixture]
public class Hdf5DataLayerTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("omnivore-h5-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private string WriteFile(string name, int rows, int first, bool asDouble = false)
    {
        var data = Enumerable.Range(0, rows * 6).Select(i => (float)(first * 100 + i)).ToArray();
        var label = Enumerable.Range(0, rows).Select(i => (float)(first + i)).ToArray();
        var file = new H5File
        {
            ["data"] = asDouble
                ? new H5Dataset(data.Select(x => (double)x).ToArray(), fileDims: [(ulong)rows, 2, 3])
                : new H5Dataset(data, fileDims: [(ulong)rows, 2, 3]),
            ["label"] = new H5Dataset(label, fileDims: [(ulong)rows]),
        };
        var path = Path.Combine(_dir, name);
        file.Write(path);
        return path;
    }

    [Test]
    public void BatchesRunAcrossFilesAndWrapAround()
    {
        var a = WriteFile("a.h5", 3, 0);
        var b = WriteFile("b.h5", 2, 10, asDouble: true);
        var list = Path.Combine(_dir, "list.txt");
        File.WriteAllLines(list, [a, b]);
        var layer = LayerTestHelpers.Create($$"""
            name: "h5" type: "HDF5Data" top: "data" top: "label"
            hdf5_data_param { source: "{{list}}" batch_size: 4 }
            """, Phase.Train);
        var data = new Blob(CpuFixture.Device, "data");
        var label = new Blob(CpuFixture.Device, "label");
        layer.SetUp([], [data, label]);
        Assert.That(data.Shape, Is.EqualTo(new[] { 4, 2, 3 }));
        Assert.That(label.Shape, Is.EqualTo(new[] { 4 }));
        layer.Forward([], [data, label]);
        Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 0, 1, 2, 10 }));
        Assert.That(data.DownloadData()[18], Is.EqualTo(1000f), "first row of the second file");
        layer.Forward([], [data, label]);
        Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 11, 0, 1, 2 }));
        layer.Dispose();
    }

    [Test]
    public void MissingDatasetNamesLayerAndFile()
    {
        var a = WriteFile("a.h5", 2, 0);
        var list = Path.Combine(_dir, "list.txt");
        File.WriteAllLines(list, [a]);
        var layer = LayerTestHelpers.Create($$"""
            name: "h5" type: "HDF5Data" top: "pixels"
            hdf5_data_param { source: "{{list}}" batch_size: 1 }
            """, Phase.Train);
        var e = Assert.Throws<OmnivoreException>(() => layer.SetUp([], [new Blob(CpuFixture.Device, "pixels")]));
        Assert.That(e!.Message, Does.Contain("'h5'").And.Contain("a.h5").And.Contain("pixels"));
    }
}
