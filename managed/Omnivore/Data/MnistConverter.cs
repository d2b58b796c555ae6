// MnistConverter: the four MNIST idx files (plain or .gz) to LMDBs of Caffe Datums,
// laid out as Caffe's convert_mnist_data writes them: keys "%08d" in item order, 1x28x28
// uint8 pixels, label, committed every 1,000 records.
using System.Buffers.Binary;
using System.IO.Compression;
using Google.Protobuf;
using LightningDB;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public static class MnistConverter
{
    public const int ImageMagic = 2051, LabelMagic = 2049;

    /// <summary>Converts one images/labels pair; returns the number of records written.</summary>
    public static int Convert(string imagesPath, string labelsPath, string lmdbPath, int limit = int.MaxValue)
    {
        var (images, count, rows, cols) = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (labels.Length != count)
            throw new OmnivoreException($"'{imagesPath}' holds {count} images but '{labelsPath}' holds {labels.Length} labels");
        count = Math.Min(count, limit);
        Log.Info($"A total of {count} items. Rows: {rows} Cols: {cols}");
        using var env = Lmdb.CreateForWrite(lmdbPath);
        int per = rows * cols;
        var txn = env.BeginTransaction();
        var db = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        try
        {
            for (int i = 0; i < count; i++)
            {
                var datum = new Datum
                {
                    Channels = 1, Height = rows, Width = cols, Label = labels[i],
                    Data = ByteString.CopyFrom(images, i * per, per),
                };
                var key = System.Text.Encoding.ASCII.GetBytes(i.ToString("D8"));
                var rc = txn.Put(db, key, datum.ToByteArray());
                if (rc != MDBResultCode.Success) throw new OmnivoreException($"writing '{lmdbPath}' failed: {rc}");
                if ((i + 1) % 1000 == 0)
                {
                    txn.Commit();
                    txn.Dispose();
                    txn = env.BeginTransaction();
                }
            }
            txn.Commit();
        }
        finally
        {
            txn.Dispose();
            db.Dispose();
        }
        Log.Info($"Processed {count} files.");
        return count;
    }

    private static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new OmnivoreException($"MNIST file '{path}' does not exist");
        Stream s = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(s, CompressionMode.Decompress) : s;
    }

    private static byte[] ReadAll(string path)
    {
        using var s = Open(path);
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    public static (byte[] Pixels, int Count, int Rows, int Cols) ReadImages(string path)
    {
        var b = ReadAll(path);
        if (b.Length < 16 || BinaryPrimitives.ReadInt32BigEndian(b) != ImageMagic)
            throw new OmnivoreException($"'{path}' is not an MNIST image file (magic {ImageMagic} expected)");
        int n = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4)), r = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(8)),
            c = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(12));
        if (b.Length - 16 != (long)n * r * c) throw new OmnivoreException($"'{path}' is truncated: {n} images of {r}x{c} announced");
        return (b[16..], n, r, c);
    }

    public static int[] ReadLabels(string path)
    {
        var b = ReadAll(path);
        if (b.Length < 8 || BinaryPrimitives.ReadInt32BigEndian(b) != LabelMagic)
            throw new OmnivoreException($"'{path}' is not an MNIST label file (magic {LabelMagic} expected)");
        int n = BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(4));
        if (b.Length - 8 != n) throw new OmnivoreException($"'{path}' is truncated: {n} labels announced");
        return b[8..].Select(x => (int)x).ToArray();
    }
}
