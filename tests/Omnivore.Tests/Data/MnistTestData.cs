// MnistTestData: helpers for the data tests. Reads the shipped MNIST idx files
// independently of the product's reader (to check what the converter wrote), makes small
// LMDBs from the first records, writes tiny idx files, and hands out temporary folders.
using System.Buffers.Binary;
using System.IO.Compression;
using Omnivore.Data;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Data;

internal static class MnistTestData
{
    public static string Images => Path.Combine(TestPaths.MnistData, "t10k-images-idx3-ubyte.gz");
    public static string Labels => Path.Combine(TestPaths.MnistData, "t10k-labels-idx1-ubyte.gz");

    /// <summary>A fresh, empty folder under the system's temporary folder.</summary>
    public static string TempDir(string what)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"omnivore-{what}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void Delete(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    /// <summary>An LMDB of the first n test-set records at dir/name.</summary>
    public static string MakeLmdb(string dir, int n, string name = "lmdb")
    {
        var path = Path.Combine(dir, name);
        int written = MnistConverter.Convert(Images, Labels, path, n);
        if (written != n) throw new InvalidOperationException($"converter wrote {written} records, not {n}");
        return path;
    }

    private static byte[] Gunzip(string path, int bytes)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var buffer = new byte[bytes];
        gz.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>The first n images (28x28 bytes each), read straight from the idx file.</summary>
    public static byte[][] FirstImages(int n)
    {
        var b = Gunzip(Images, 16 + n * 784);
        if (BinaryPrimitives.ReadInt32BigEndian(b) != 2051) throw new InvalidDataException("not an idx3 file");
        return Enumerable.Range(0, n).Select(i => b.AsSpan(16 + i * 784, 784).ToArray()).ToArray();
    }

    /// <summary>The first n labels, read straight from the idx file.</summary>
    public static int[] FirstLabels(int n)
    {
        var b = Gunzip(Labels, 8 + n);
        if (BinaryPrimitives.ReadInt32BigEndian(b) != 2049) throw new InvalidDataException("not an idx1 file");
        return b[8..].Select(x => (int)x).ToArray();
    }

    /// <summary>Writes an uncompressed idx file: magic, the dimensions, then the bytes.</summary>
    public static string WriteIdx(string path, int magic, int[] dims, byte[] payload)
    {
        using var f = File.Create(path);
        Span<byte> word = stackalloc byte[4];
        foreach (var v in new[] { magic }.Concat(dims))
        {
            BinaryPrimitives.WriteInt32BigEndian(word, v);
            f.Write(word);
        }
        f.Write(payload);
        return path;
    }
}
