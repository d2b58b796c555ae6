// Tests for MnistConverter: the first records of the shipped MNIST test set become an LMDB
// laid out as Caffe's convert_mnist_data writes it ("%08d" keys in order, 1x28x28 byte
// Datums, the idx labels), read back with LmdbCursor (including its wrap-around) and
// LightningDB; and bad idx files (wrong magic, truncated, count mismatch) fail clearly.
using LightningDB;
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model.Caffe;

namespace Omnivore.Tests.Data;

[TestFixture]
public class MnistConverterTests
{
    private const int Count = 12;
    private string _dir = "", _lmdb = "";

    [OneTimeSetUp]
    public void Convert()
    {
        _dir = MnistTestData.TempDir("mnist");
        _lmdb = MnistTestData.MakeLmdb(_dir, Count);
    }

    [OneTimeTearDown]
    public void Remove() => MnistTestData.Delete(_dir);

    [Test]
    public void RecordsAreCaffeDatumsInKeyOrder()
    {
        var images = MnistTestData.FirstImages(Count);
        var labels = MnistTestData.FirstLabels(Count);
        using var env = Lmdb.OpenRead(_lmdb);
        using var txn = env.BeginTransaction(TransactionBeginFlags.ReadOnly);
        using var db = txn.OpenDatabase();
        using var cursor = txn.CreateCursor(db);
        Assert.That(txn.GetEntriesCount(db), Is.EqualTo(Count));
        int i = 0;
        for (var (rc, key, value) = cursor.First(); rc == MDBResultCode.Success; (rc, key, value) = cursor.Next(), i++)
        {
            Assert.That(System.Text.Encoding.ASCII.GetString(key.CopyToNewArray()), Is.EqualTo(i.ToString("D8")));
            var d = Datum.Parser.ParseFrom(value.CopyToNewArray());
            Assert.That((d.Channels, d.Height, d.Width), Is.EqualTo((1, 28, 28)), $"record {i}");
            Assert.That(d.Label, Is.EqualTo(labels[i]), $"label of record {i}");
            Assert.That(d.Data.ToByteArray(), Is.EqualTo(images[i]), $"pixels of record {i}");
            Assert.That(d.FloatData, Is.Empty);
            Assert.That(d.Encoded, Is.False);
        }
        Assert.That(i, Is.EqualTo(Count));
        // The first MNIST test labels are 7 2 1 0 4 1 4 9 5 9 0 6.
        Assert.That(labels, Is.EqualTo(new[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9, 0, 6 }));
    }

    [Test]
    public void CursorReadsInOrderAndWrapsAround()
    {
        var labels = MnistTestData.FirstLabels(Count);
        using var cursor = new LmdbCursor(_lmdb);
        Assert.That(cursor.Count, Is.EqualTo(Count));
        var first = cursor.Current();
        for (int i = 0; i < Count; i++)
        {
            Assert.That(cursor.Wrapped, Is.False, $"before record {i}");
            Assert.That(Datum.Parser.ParseFrom(cursor.Current()).Label, Is.EqualTo(labels[i]));
            cursor.MoveNext();
        }
        Assert.That(cursor.Wrapped, Is.True, "the move past the last record wraps");
        Assert.That(cursor.Current(), Is.EqualTo(first));
        cursor.MoveNext();
        Assert.That(cursor.Wrapped, Is.False);
        Assert.That(Datum.Parser.ParseFrom(cursor.Current()).Label, Is.EqualTo(labels[1]));
    }

    [Test]
    public void CurrentIsACopyThatSurvivesMoving()
    {
        using var cursor = new LmdbCursor(_lmdb);
        var first = cursor.Current();
        var copy = (byte[])first.Clone();
        cursor.MoveNext();
        cursor.MoveNext();
        Assert.That(first, Is.EqualTo(copy));
    }

    [Test]
    public void ExistingOutputIsRefused()
    {
        var e = Assert.Throws<OmnivoreException>(() => MnistConverter.Convert(MnistTestData.Images, MnistTestData.Labels, _lmdb, 1));
        Assert.That(e!.Message, Does.Contain(_lmdb));
    }

    [Test]
    public void SmallUncompressedIdxFilesConvertCompletely()
    {
        var dir = MnistTestData.TempDir("idx");
        try
        {
            var pixels = Enumerable.Range(0, 3 * 2 * 3).Select(i => (byte)(i * 10)).ToArray();
            var images = MnistTestData.WriteIdx(Path.Combine(dir, "img"), 2051, [3, 2, 3], pixels);
            var labels = MnistTestData.WriteIdx(Path.Combine(dir, "lbl"), 2049, [3], [5, 6, 7]);
            var lmdb = Path.Combine(dir, "db");
            Assert.That(MnistConverter.Convert(images, labels, lmdb), Is.EqualTo(3));
            using var cursor = new LmdbCursor(lmdb);
            Assert.That(cursor.Count, Is.EqualTo(3));
            for (int i = 0; i < 3; i++, cursor.MoveNext())
            {
                var d = Datum.Parser.ParseFrom(cursor.Current());
                Assert.That((d.Channels, d.Height, d.Width, d.Label), Is.EqualTo((1, 2, 3, 5 + i)));
                Assert.That(d.Data.ToByteArray(), Is.EqualTo(pixels[(i * 6)..(i * 6 + 6)]));
            }
        }
        finally
        {
            MnistTestData.Delete(dir);
        }
    }

    [Test]
    public void BadIdxFilesAreReportedWithTheirPath()
    {
        var dir = MnistTestData.TempDir("idx");
        try
        {
            var images = MnistTestData.WriteIdx(Path.Combine(dir, "img"), 2051, [2, 2, 2], new byte[8]);
            var labels3 = MnistTestData.WriteIdx(Path.Combine(dir, "lbl3"), 2049, [3], new byte[3]);
            var wrongMagic = MnistTestData.WriteIdx(Path.Combine(dir, "magic"), 2049, [2, 2, 2], new byte[8]);
            var truncated = MnistTestData.WriteIdx(Path.Combine(dir, "short"), 2051, [2, 2, 2], new byte[7]);
            var missing = Path.Combine(dir, "absent.gz");
            string Error(string img, string lbl) =>
                Assert.Throws<OmnivoreException>(() => MnistConverter.Convert(img, lbl, Path.Combine(dir, "out"), 10))!.Message;
            Assert.That(Error(images, labels3), Does.Contain(images).And.Contain(labels3));
            Assert.That(Error(wrongMagic, labels3), Does.Contain(wrongMagic).And.Contain("2051"));
            Assert.That(Error(truncated, labels3), Does.Contain(truncated).And.Contain("truncated"));
            Assert.That(Error(missing, labels3), Does.Contain(missing));
            Assert.That(Directory.Exists(Path.Combine(dir, "out")), Is.False, "nothing is created for bad input");
        }
        finally
        {
            MnistTestData.Delete(dir);
        }
    }
}
