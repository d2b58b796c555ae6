// BlobShapes: converts between Caffe's BlobProto (new `shape` or legacy num/channels/
// height/width) and blob shapes and values.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Model;

public static class BlobShapes
{
    public static int[] ShapeOf(BlobProto p)
    {
        if (p.Shape is not null) return p.Shape.Dim.Select(d => checked((int)d)).ToArray();
        if (p.HasNum || p.HasChannels || p.HasHeight || p.HasWidth) return [p.Num, p.Channels, p.Height, p.Width];
        return [p.Data.Count > 0 ? p.Data.Count : p.DoubleData.Count];
    }

    /// <summary>Whether a stored blob fits a blob of the given shape (legacy 4-D shapes may pad with 1s).</summary>
    public static bool Matches(BlobProto p, IReadOnlyList<int> shape)
    {
        if (p.Shape is not null) return p.Shape.Dim.Select(d => (long)d).SequenceEqual(shape.Select(d => (long)d));
        var legacy = new[] { p.Num, p.Channels, p.Height, p.Width };
        var padded = Enumerable.Repeat(1, Math.Max(0, 4 - shape.Count)).Concat(shape).ToArray();
        return padded.Length == 4 && legacy.SequenceEqual(padded);
    }

    public static BlobProto ToProto(Blob blob, bool withDiff = false)
    {
        var p = new BlobProto { Shape = new BlobShape() };
        p.Shape.Dim.AddRange(blob.Shape.Select(d => (long)d));
        p.Data.AddRange(blob.DownloadData());
        if (withDiff) p.Diff.AddRange(blob.DownloadDiff());
        return p;
    }

    public static float[] ValuesOf(BlobProto p) =>
        p.Data.Count > 0 ? p.Data.ToArray() : p.DoubleData.Select(x => (float)x).ToArray();

    public static string Text(BlobProto p)
    {
        var s = ShapeOf(p);
        long count = s.Aggregate(1L, (a, b) => a * b);
        return Blob.ShapeText(s, count);
    }
}
