// Tests for reading LMDB data: DatumBatchReader's batches (shapes, values, labels, wrap
// around the end, rand_skip), the Data layer in a net (top shapes, scale, crop, deprecated
// data_param fields, errors naming the layer), and Lmdb's errors for a missing path, a
// folder that is no LMDB, an empty LMDB and an existing output folder.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Data;

[TestFixture]
public class DataLayerTests
{
    private const int Records = 5;
    private string _dir = "", _lmdb = "";
    private byte[][] _images = [];
    private int[] _labels = [];

    [OneTimeSetUp]
    public void MakeDataset()
    {
        _dir = MnistTestData.TempDir("datalayer");
        _lmdb = MnistTestData.MakeLmdb(_dir, Records);
        _images = MnistTestData.FirstImages(Records);
        _labels = MnistTestData.FirstLabels(Records);
    }

    [OneTimeTearDown]
    public void Remove() => MnistTestData.Delete(_dir);

    private float[] Scaled(int record, float scale) => _images[record].Select(b => b * scale).ToArray();

    [Test]
    public void ReaderFillsBatchesInOrderAndWraps()
    {
        var transformer = new DataTransformer(new TransformationParameter { Scale = 0.5f }, Phase.Test, "data");
        using var reader = new DatumBatchReader(_lmdb, 2, 2, transformer, new Rng(1), 0);
        Assert.That((reader.Channels, reader.Height, reader.Width), Is.EqualTo((1, 28, 28)));
        Assert.That(reader.Records, Is.EqualTo(Records));
        Assert.That(reader.First.Label, Is.EqualTo(_labels[0]));
        int[][] expected = [[0, 1], [2, 3], [4, 0], [1, 2]];
        foreach (var records in expected)
        {
            var batch = reader.Take();
            Assert.That(batch.Labels, Is.EqualTo(records.Select(r => (float)_labels[r]).ToArray()));
            Assert.That(batch.Data, Has.Length.EqualTo(2 * 784));
            Assert.That(batch.Data.AsSpan(0, 784).ToArray(), Is.EqualTo(Scaled(records[0], 0.5f)));
            Assert.That(batch.Data.AsSpan(784, 784).ToArray(), Is.EqualTo(Scaled(records[1], 0.5f)));
            reader.Recycle(batch);
        }
    }

    [Test]
    public void RandSkipStartsAtARecordWithinTheLimit()
    {
        var transformer = new DataTransformer(null, Phase.Train, "data");
        var firsts = new HashSet<float>();
        for (int seed = 0; seed < 8; seed++)
        {
            using var reader = new DatumBatchReader(_lmdb, 1, 1, transformer, new Rng(seed), 3);
            int start = Array.IndexOf(_labels, (int)reader.First.Label);
            Assert.That(start, Is.InRange(0, 2));
            Assert.That(reader.Take().Labels[0], Is.EqualTo(reader.First.Label));
            firsts.Add(reader.First.Label);
        }
        Assert.That(firsts.Count, Is.GreaterThan(1), "different seeds skip differently");
    }

    private string DataNet(string dataParam, string transform = "") => $$"""
        name: "reader"
        layer { name: "mnist" type: "Data" top: "data" top: "label"
                {{transform}}
                data_param { source: "{{_lmdb}}" {{dataParam}} } }
        """;

    private static Net Build(string text, Phase phase = Phase.Test) =>
        new(TextFormat.Parse<NetParameter>(text, "data.prototxt"), CpuFixture.Device, new Rng(1), new NetState { Phase = phase });

    [Test]
    public void DataLayerProducesScaledBatchesAndLabels()
    {
        using var net = Build(DataNet("batch_size: 3 backend: LMDB", "transform_param { scale: 0.00390625 }"));
        Assert.That(net.Blob("data").Shape, Is.EqualTo(new[] { 3, 1, 28, 28 }));
        Assert.That(net.Blob("label").Shape, Is.EqualTo(new[] { 3 }));
        Assert.That(net.OutputBlobs.Select(b => b.Name), Is.EqualTo(new[] { "data", "label" }));
        net.Forward();
        Assert.That(net.Blob("label").DownloadData(), Is.EqualTo(new float[] { _labels[0], _labels[1], _labels[2] }));
        Assert.That(net.Blob("data").DownloadData().Take(784), Is.EqualTo(Scaled(0, 1 / 256f)));
        net.Forward();
        Assert.That(net.Blob("label").DownloadData(), Is.EqualTo(new float[] { _labels[3], _labels[4], _labels[0] }));
        Assert.That(net.Blob("data").DownloadData().Skip(784).Take(784), Is.EqualTo(Scaled(4, 1 / 256f)));
    }

    [Test]
    public void DeprecatedDataParamFieldsAreHonoured()
    {
        using var net = Build(DataNet("batch_size: 2 backend: LMDB scale: 0.5 crop_size: 20"));
        Assert.That(net.Blob("data").Shape, Is.EqualTo(new[] { 2, 1, 20, 20 }));
        net.Forward();
        var data = net.Blob("data").DownloadData();
        // TEST crop is centred: rows and columns 4..23 of the 28x28 image.
        for (int y = 0; y < 20; y++)
        for (int x = 0; x < 20; x++)
            Assert.That(data[y * 20 + x], Is.EqualTo(_images[0][(y + 4) * 28 + x + 4] * 0.5f), $"({y}, {x})");
    }

    [Test]
    public void LabelTopIsOptional()
    {
        using var net = Build($$"""
            layer { name: "mnist" type: "Data" top: "data" data_param { source: "{{_lmdb}}" batch_size: 1 backend: LMDB } }
            """);
        net.Forward();
        Assert.That(net.Blob("data").DownloadData(), Is.EqualTo(_images[0].Select(b => (float)b).ToArray()));
        Assert.That(net.HasBlob("label"), Is.False);
    }

    [Test]
    public void DataLayerErrorsNameTheLayer()
    {
        string Error(string text) => Assert.Throws<OmnivoreException>(() => Build(text).Dispose())!.Message;
        Assert.That(Error(DataNet("batch_size: 2")), Does.Contain("'mnist'").And.Contain("LMDB"));
        Assert.That(Error(DataNet("backend: LMDB")), Does.Contain("'mnist'").And.Contain("batch_size"));
        var missing = Path.Combine(_dir, "no_such_lmdb");
        Assert.That(Error(DataNet("batch_size: 2 backend: LMDB").Replace(_lmdb, missing)),
                    Does.Contain("'mnist'").And.Contain(missing));
        Assert.That(Error(DataNet("batch_size: 2 backend: LMDB", "transform_param { crop_size: 29 }")),
                    Does.Contain("'mnist'").And.Contain("crop_size"));
        CollectLeakedHandles();
    }

    [Test]
    public void MissingLmdbNamesThePath()
    {
        var missing = Path.Combine(_dir, "absent_lmdb");
        var e = Assert.Throws<OmnivoreException>(() => new LmdbCursor(missing).Dispose());
        Assert.That(e!.Message, Does.Contain(missing));
    }

    [Test]
    public void FolderWithoutDataMdbIsNoLmdb()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_dir, "not_lmdb")).FullName;
        File.WriteAllText(Path.Combine(folder, "readme.txt"), "not a database");
        var e = Assert.Throws<OmnivoreException>(() => new LmdbCursor(folder).Dispose());
        Assert.That(e!.Message, Does.Contain(folder).And.Contain("data.mdb"));
    }

    [Test]
    public void EmptyLmdbIsAnError()
    {
        var path = Path.Combine(_dir, "empty_lmdb");
        Lmdb.CreateForWrite(path).Dispose();
        Assert.That(File.Exists(Path.Combine(path, "data.mdb")), Is.True);
        var e = Assert.Throws<OmnivoreException>(() => new LmdbCursor(path).Dispose());
        Assert.That(e!.Message, Does.Contain(path).And.Contain("no records"));
        CollectLeakedHandles();
    }

    /// <summary>LightningDB's finalizers throw (ending the process) for handles a failed constructor leaked.</summary>
    private static void CollectLeakedHandles()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [Test]
    public void CreatingOverAnExistingFolderIsRefused()
    {
        var e = Assert.Throws<OmnivoreException>(() => Lmdb.CreateForWrite(_lmdb).Dispose());
        Assert.That(e!.Message, Does.Contain(_lmdb));
    }
}
