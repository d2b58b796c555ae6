// BadInputTests: what a user sees for bad data and impossible sizes. A Datum record of the
// wrong size, of other dimensions, or not a Datum at all, in a crafted LMDB, is named by
// its key with the expected size; an allocation that cannot be satisfied says how many
// bytes were asked and, inside a layer, names it and suggests a smaller batch_size; a net
// whose shapes do not fit, or a blob too large, names the layer (and both shapes), in
// one CLI error line.
using Google.Protobuf;
using LightningDB;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Data;

[TestFixture]
[NonParallelizable]
public class BadInputTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = MnistTestData.TempDir("badinput");

    [TearDown]
    public void TearDown() => MnistTestData.Delete(_dir);

    private static byte[] Good(int label, int side = 4) => new Datum
    {
        Channels = 1, Height = side, Width = side, Label = label, Data = ByteString.CopyFrom(new byte[side * side]),
    }.ToByteArray();

    /// <summary>An LMDB whose records are the given values under keys 00000000, 00000001, ...</summary>
    private string Lmdb(params byte[][] values)
    {
        var path = Path.Combine(_dir, $"lmdb{Directory.GetDirectories(_dir).Length}");
        using var env = Omnivore.Data.Lmdb.CreateForWrite(path);
        using (var txn = env.BeginTransaction())
        using (var db = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create }))
        {
            for (int i = 0; i < values.Length; i++) txn.Put(db, System.Text.Encoding.ASCII.GetBytes($"{i:D8}"), values[i]);
            txn.Commit();
        }
        return path;
    }

    private static string ReadAll(string lmdb)
    {
        var text = $$"""
            layer { name: "d" type: "Data" top: "data" top: "label"
                    data_param { source: "{{lmdb}}" batch_size: 2 backend: LMDB } }
            """;
        using var net = new Net(TextFormat.Parse<NetParameter>(text, "net.prototxt"), CpuFixture.Device, new Rng(1),
                                new NetState { Phase = Phase.Train });
        var e = Assert.Throws<OmnivoreException>(() =>
        {
            for (int i = 0; i < 3; i++) net.Forward();
        });
        return e!.Message;
    }

    [Test]
    public void WronglySizedDatumNamesItsKeyAndTheExpectedSize()
    {
        var shortDatum = new Datum { Channels = 1, Height = 4, Width = 4, Data = ByteString.CopyFrom(new byte[10]) }.ToByteArray();
        var msg = ReadAll(Lmdb(Good(0), Good(1), shortDatum, Good(3)));
        Assert.That(msg, Does.Contain("record '00000002'").And.Contain("10 bytes").And.Contain("expected 16 (1x4x4)"));
    }

    [Test]
    public void DatumOfOtherDimensionsNamesItsKeyAndBothSizes()
    {
        var msg = ReadAll(Lmdb(Good(0), Good(1), Good(2), Good(3, side: 5)));
        Assert.That(msg, Does.Contain("record '00000003'").And.Contain("1x5x5").And.Contain("expected 1x4x4"));
    }

    [Test]
    public void CorruptRecordNamesItsKey()
    {
        var msg = ReadAll(Lmdb(Good(0), [0xff, 0xff, 0xff, 0xff, 0x0f], Good(2)));
        Assert.That(msg, Does.Contain("record '00000001'").And.Contain("not a valid Datum"));
        var first = Lmdb([0x0a, 0x80]); // a corrupt first record fails at set-up, also named
        var e = Assert.Throws<OmnivoreException>(() => ReadAll(first));
        Assert.That(e!.Message, Does.Contain("record '00000000'").And.Contain("layer 'd'"));
    }

    [Test]
    public void HugeAllocationSaysHowManyBytes()
    {
        var e = Assert.Throws<DeviceOutOfMemoryException>(() => CpuFixture.Device.Allocate(1L << 50));
        Assert.That(e!.Message, Does.Contain("asked for 4503599627370496 bytes (4 PiB)"));
        Assert.That(e.Bytes, Is.EqualTo(1L << 52));
    }

    [Test]
    public void LayerOutOfMemoryNamesItselfAndSuggestsASmallerBatch()
    {
        using var device = Omnivore.Native.CpuDevice.Create();
        device.MemoryLimitBytes = 64L << 20; // a small node: 64 MiB
        const string net = """
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 256 dim: 4096 } } }
            layer { name: "wide" type: "InnerProduct" bottom: "data" top: "wide" inner_product_param { num_output: 20000 } }
            """;
        var e = Assert.Throws<DeviceOutOfMemoryException>(() =>
            new Net(TextFormat.Parse<NetParameter>(net, "net.prototxt"), device, new Rng(1)).Dispose());
        Assert.That(e!.Message, Does.StartWith("layer 'wide' (InnerProduct): out of host memory: asked for 327680000 bytes (312.5 MiB)"));
        Assert.That(e.Message, Does.Contain("batch size is 256").And.Contain("smaller batch_size (e.g. 128)"));
        Assert.That(device.AllocatedBytes, Is.LessThanOrEqualTo(64L << 20));
    }

    private const string HugeNet = """
        layer { name: "big" type: "DummyData" top: "data"
                dummy_data_param { shape { dim: 100000 dim: 1000000000 } } }
        """;

    private static (int Code, string Error) Cli(params string[] args) => CliInProcess.Run(args);

    private static string OneLine((int Code, string Error) r)
    {
        Assert.That(r.Code, Is.EqualTo(1));
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.Error);
        Assert.That(lines[0], Does.StartWith("omnivore: error: "));
        return lines[0];
    }

    [Test]
    public void CliReportsOversizedAndMisfittingShapesInOneLineNamingTheLayer()
    {
        var huge = Path.Combine(_dir, "huge.prototxt");
        File.WriteAllText(huge, HugeNet);
        Assert.That(OneLine(Cli("time", "--model", huge, "--shapes")), Does.Contain("layer 'big' (DummyData)").And.Contain("2^31 elements"));

        var misfit = Path.Combine(_dir, "misfit.prototxt");
        File.WriteAllText(misfit, """
            layer { name: "in" type: "Input" top: "a" top: "b" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 4 } } }
            layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "c" }
            """);
        Assert.That(OneLine(Cli("time", "--model", misfit, "--shapes")), Does.Contain("layer 'sum'").And.Contain("2 3").And.Contain("2 4"));
    }
}
