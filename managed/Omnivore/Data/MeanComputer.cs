// MeanComputer: the per-pixel mean image of an LMDB of Datums (raw or encoded), written
// as a BlobProto (1, C, H, W) "mean.binaryproto", as Caffe's compute_image_mean; also
// returns the per-channel means it logs.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public static class MeanComputer
{
    public static (BlobProto Mean, double[] ChannelMeans) Compute(string lmdbPath)
    {
        using var cursor = new LmdbCursor(lmdbPath);
        var transformer = new DataTransformer(null, Phase.Test, "compute-mean");
        double[]? sum = null;
        int c = 0, h = 0, w = 0;
        for (long i = 0; i < cursor.Count; i++)
        {
            var d = transformer.Decode(Datum.Parser.ParseFrom(cursor.Current()));
            if (sum is null)
            {
                (c, h, w) = (d.Channels, d.Height, d.Width);
                sum = new double[c * h * w];
            }
            else if (d.Channels != c || d.Height != h || d.Width != w)
                throw new OmnivoreException($"'{lmdbPath}': record {i} is {d.Channels}x{d.Height}x{d.Width}, the first is {c}x{h}x{w}; resize the set first");
            if (d.Data.Length > 0)
            {
                var bytes = d.Data.Span;
                for (int k = 0; k < sum.Length; k++) sum[k] += bytes[k];
            }
            else
                for (int k = 0; k < sum.Length; k++) sum[k] += d.FloatData[k];
            cursor.MoveNext();
            if ((i + 1) % 10000 == 0) Log.Info($"Processed {i + 1} files.");
        }
        var mean = new BlobProto { Num = 1, Channels = c, Height = h, Width = w };
        mean.Shape = new BlobShape();
        mean.Shape.Dim.AddRange([1L, c, h, w]);
        mean.Data.AddRange(sum!.Select(x => (float)(x / cursor.Count)));
        var perChannel = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            perChannel[ch] = sum!.Skip(ch * h * w).Take(h * w).Sum() / ((double)h * w * cursor.Count);
            Log.Info($"mean_value channel [{ch}]: {Fmt.G(perChannel[ch])}");
        }
        return (mean, perChannel);
    }

    public static double[] Write(string lmdbPath, string outFile)
    {
        var (mean, perChannel) = Compute(lmdbPath);
        Log.Info($"Write to {outFile}");
        AtomicFile.Write(outFile, s => mean.WriteTo(s));
        return perChannel;
    }
}
