// ImageSetConverter: a folder of images plus a list file ("relative/path.jpg label" per
// line) to an LMDB of Caffe Datums, as Caffe's convert_imageset: keys "%08d_<path>",
// optional shuffle, gray, resize, size check, and encoded storage (the original file bytes
// when nothing changes them, else re-encoded as PNG); committed every 1,000 records.
using Google.Protobuf;
using LightningDB;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public sealed record ImageSetOptions(
    bool Gray = false, bool Shuffle = false, int ResizeHeight = 0, int ResizeWidth = 0,
    bool CheckSize = false, bool Encoded = false, string EncodeType = "", long Seed = 0);

public static class ImageSetConverter
{
    public static List<(string Path, int Label)> ReadList(string listFile)
    {
        if (!File.Exists(listFile)) throw new OmnivoreException($"list file '{listFile}' does not exist");
        var lines = new List<(string, int)>();
        int n = 0;
        foreach (var raw in File.ReadLines(listFile))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            int space = line.LastIndexOf(' ');
            if (space <= 0 || !int.TryParse(line[(space + 1)..], out int label))
                throw new OmnivoreException($"{listFile}:{n}: expected '<image path> <integer label>', got '{raw}'");
            lines.Add((line[..space].TrimEnd(), label));
        }
        if (lines.Count == 0) throw new OmnivoreException($"list file '{listFile}' holds no images");
        return lines;
    }

    public static int Convert(string rootFolder, string listFile, string lmdbPath, ImageSetOptions o)
    {
        var lines = ReadList(listFile);
        if (o.Shuffle)
        {
            Log.Info("Shuffling data");
            var rng = new Rng(o.Seed);
            for (int i = lines.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (lines[i], lines[j]) = (lines[j], lines[i]);
            }
        }
        Log.Info($"A total of {lines.Count} images.");
        if (o.Encoded && o.EncodeType is not ("" or "png"))
            throw new OmnivoreException($"encode_type '{o.EncodeType}' is not supported; Omnivore re-encodes as png");
        using var env = Lmdb.CreateForWrite(lmdbPath);
        var txn = env.BeginTransaction();
        var db = txn.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        int count = 0;
        (int C, int H, int W)? size = null;
        try
        {
            for (int i = 0; i < lines.Count; i++)
            {
                var (rel, label) = lines[i];
                var path = Path.Combine(rootFolder, rel);
                var datum = ToDatum(path, label, o);
                if (o.CheckSize)
                {
                    var s = (datum.Channels, datum.Height, datum.Width);
                    size ??= s;
                    if (size != s) throw new OmnivoreException($"'{path}' is {s.Channels}x{s.Height}x{s.Width}, others are {size}");
                }
                var key = System.Text.Encoding.UTF8.GetBytes($"{i:D8}_{rel}");
                var rc = txn.Put(db, key, datum.ToByteArray());
                if (rc != MDBResultCode.Success) throw new OmnivoreException($"writing '{lmdbPath}' failed: {rc}");
                if (++count % 1000 == 0)
                {
                    txn.Commit();
                    txn.Dispose();
                    txn = env.BeginTransaction();
                    Log.Info($"Processed {count} files.");
                }
            }
            txn.Commit();
        }
        finally
        {
            txn.Dispose();
            db.Dispose();
        }
        if (count % 1000 != 0) Log.Info($"Processed {count} files.");
        return count;
    }

    public static Datum ToDatum(string path, int label, ImageSetOptions o)
    {
        if (!File.Exists(path)) throw new OmnivoreException($"image '{path}' does not exist");
        var bytes = File.ReadAllBytes(path);
        var img = ImageCodec.Decode(bytes, o.Gray ? ColorMode.Gray : ColorMode.Color, path);
        bool resize = o.ResizeHeight > 0 && o.ResizeWidth > 0;
        if (resize) img = ImageCodec.Resize(img, o.ResizeHeight, o.ResizeWidth);
        if (o.Encoded)
        {
            bool sameExt = o.EncodeType.Length == 0 || Path.GetExtension(path).TrimStart('.').Equals(o.EncodeType, StringComparison.OrdinalIgnoreCase);
            var original = ImageCodec.Decode(bytes, ColorMode.Unchanged, path);
            bool unchanged = !resize && sameExt && original.Channels == img.Channels;
            return new Datum
            {
                Label = label, Encoded = true,
                Data = ByteString.CopyFrom(unchanged ? bytes : ImageCodec.EncodePng(img)),
            };
        }
        return new Datum
        {
            Channels = img.Channels, Height = img.Height, Width = img.Width, Label = label,
            Data = ByteString.CopyFrom(img.Chw),
        };
    }
}
