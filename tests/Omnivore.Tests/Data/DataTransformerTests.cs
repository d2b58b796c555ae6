// Tests for DataTransformer against Caffe's rules on small hand-made Datums: scale,
// mean_value (one or per channel), mean_file, centred crop in TEST and an in-range random
// crop in TRAIN, mirror, float_data Datums, and the errors for inconsistent input.
using Google.Protobuf;
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Tests.Data;

[TestFixture]
public class DataTransformerTests
{
    /// <summary>A C x H x W byte Datum whose value at (c, y, x) is 100c + 10y + x.</summary>
    private static Datum Bytes(int c, int h, int w, int label = 3)
    {
        var b = new byte[c * h * w];
        for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            b[(ch * h + y) * w + x] = (byte)(100 * ch + 10 * y + x);
        return new Datum { Channels = c, Height = h, Width = w, Label = label, Data = ByteString.CopyFrom(b) };
    }

    private static float Value(int ch, int y, int x) => 100 * ch + 10 * y + x;

    private static DataTransformer Make(string text, Phase phase) =>
        new(TextFormat.Parse<TransformationParameter>(text, "transform.prototxt"), phase, "data");

    private static float[] Apply(DataTransformer t, Datum d, Rng rng)
    {
        var (c, h, w) = t.OutputShape(d.Channels, d.Height, d.Width);
        var dst = new float[c * h * w];
        t.Transform(d, dst, rng);
        return dst;
    }

    [Test]
    public void NoParametersCopiesTheValues()
    {
        var t = new DataTransformer(null, Phase.Train, "data");
        var d = Bytes(2, 3, 4);
        Assert.That(t.OutputShape(2, 3, 4), Is.EqualTo((2, 3, 4)));
        Assert.That(Apply(t, d, new Rng(1)), Is.EqualTo(d.Data.ToByteArray().Select(b => (float)b).ToArray()));
    }

    [Test]
    public void ScaleMultipliesAfterTheMeanIsSubtracted()
    {
        var t = Make("scale: 0.5 mean_value: 10 mean_value: 20", Phase.Test);
        var result = Apply(t, Bytes(2, 2, 2), new Rng(1));
        Assert.That(result, Is.EqualTo(new[]
        {
            (0 - 10) * 0.5f, (1 - 10) * 0.5f, (10 - 10) * 0.5f, (11 - 10) * 0.5f,
            (100 - 20) * 0.5f, (101 - 20) * 0.5f, (110 - 20) * 0.5f, (111 - 20) * 0.5f,
        }));
    }

    [Test]
    public void OneMeanValueAppliesToEveryChannel()
    {
        var t = Make("mean_value: 5 scale: 0.00390625", Phase.Train);
        var result = Apply(t, Bytes(3, 1, 2), new Rng(1));
        Assert.That(result, Is.EqualTo(new[] { 0, 1, 100, 101, 200, 201 }.Select(v => (v - 5) / 256f).ToArray()));
    }

    [Test]
    public void MeanFileIsSubtractedElementwise()
    {
        var dir = MnistTestData.TempDir("mean");
        try
        {
            var mean = new BlobProto { Num = 1, Channels = 1, Height = 2, Width = 3 };
            mean.Data.AddRange([1f, 2f, 3f, 4f, 5f, 6f]);
            var path = Path.Combine(dir, "mean.binaryproto");
            File.WriteAllBytes(path, mean.ToByteArray());
            var t = Make($"mean_file: \"{path}\" crop_size: 2", Phase.Test);
            // 2x3 cropped to 2x2 in TEST: rows 0..1, columns 0..1 ((3 - 2) / 2 = 0).
            Assert.That(Apply(t, Bytes(1, 2, 3), new Rng(1)), Is.EqualTo(new[] { 0f - 1, 1 - 2, 10 - 4, 11 - 5 }));
            var both = TextFormat.Parse<TransformationParameter>($"mean_file: \"{path}\" mean_value: 1", "t");
            Assert.Throws<OmnivoreException>(() => new DataTransformer(both, Phase.Test, "data"));
            var wrongSize = Make($"mean_file: \"{path}\"", Phase.Test);
            Assert.That(Assert.Throws<OmnivoreException>(() => Apply(wrongSize, Bytes(1, 3, 3), new Rng(1)))!.Message,
                        Does.Contain("mean_file"));
        }
        finally
        {
            MnistTestData.Delete(dir);
        }
        var missing = Assert.Throws<OmnivoreException>(() => Make("mean_file: \"/nonexistent/mean.binaryproto\"", Phase.Test));
        Assert.That(missing!.Message, Does.Contain("/nonexistent/mean.binaryproto"));
    }

    [Test]
    public void TestPhaseCropIsCentred()
    {
        var t = Make("crop_size: 3", Phase.Test);
        Assert.That(t.OutputShape(2, 5, 6), Is.EqualTo((2, 3, 3)));
        var result = Apply(t, Bytes(2, 5, 6), new Rng(1));
        // offsets (5 - 3) / 2 = 1 and (6 - 3) / 2 = 1
        var expected = new List<float>();
        for (int ch = 0; ch < 2; ch++)
        for (int y = 1; y < 4; y++)
        for (int x = 1; x < 4; x++)
            expected.Add(Value(ch, y, x));
        Assert.That(result, Is.EqualTo(expected));
    }

    [Test]
    public void TrainPhaseCropIsAnyWindowInRange()
    {
        var t = Make("crop_size: 2", Phase.Train);
        var rng = new Rng(12345);
        var offsets = new HashSet<(int, int)>();
        for (int trial = 0; trial < 60; trial++)
        {
            var r = Apply(t, Bytes(1, 4, 5), rng);
            int y0 = (int)r[0] / 10, x0 = (int)r[0] % 10;
            Assert.That(y0, Is.InRange(0, 2));
            Assert.That(x0, Is.InRange(0, 3));
            Assert.That(r, Is.EqualTo(new[] { Value(0, y0, x0), Value(0, y0, x0 + 1), Value(0, y0 + 1, x0), Value(0, y0 + 1, x0 + 1) }));
            offsets.Add((y0, x0));
        }
        Assert.That(offsets.Count, Is.GreaterThan(4), "the offset varies");
        Assert.That(offsets.Count, Is.LessThanOrEqualTo(12));
    }

    [Test]
    public void CropLargerThanTheImageIsAnError()
    {
        var t = Make("crop_size: 6", Phase.Test);
        var e = Assert.Throws<OmnivoreException>(() => t.OutputShape(1, 5, 8));
        Assert.That(e!.Message, Does.Contain("'data'").And.Contain("crop_size 6"));
    }

    [Test]
    public void MirrorFlipsRowsSometimes()
    {
        var t = Make("mirror: true", Phase.Test);
        var d = Bytes(2, 2, 3);
        var plain = d.Data.ToByteArray().Select(b => (float)b).ToArray();
        float[] flipped = [2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110];
        var rng = new Rng(7);
        int flips = 0, keeps = 0;
        for (int trial = 0; trial < 40; trial++)
        {
            var r = Apply(t, d, rng);
            if (r.SequenceEqual(flipped)) flips++;
            else if (r.SequenceEqual(plain)) keeps++;
            else Assert.Fail($"neither the image nor its mirror: {string.Join(",", r)}");
        }
        Assert.That(flips, Is.GreaterThan(5));
        Assert.That(keeps, Is.GreaterThan(5));
    }

    [Test]
    public void MirrorAndCropCombine()
    {
        var t = Make("mirror: true crop_size: 2", Phase.Test);
        var rng = new Rng(3);
        var seen = new HashSet<string>();
        for (int trial = 0; trial < 30; trial++) seen.Add(string.Join(",", Apply(t, Bytes(1, 4, 4), rng)));
        // centred window rows 1..2, columns 1..2, as is or mirrored
        Assert.That(seen, Is.EquivalentTo(new[] { "11,12,21,22", "12,11,22,21" }));
    }

    [Test]
    public void FloatDataDatumsAreTransformedToo()
    {
        var d = new Datum { Channels = 1, Height = 2, Width = 2, Label = 1 };
        d.FloatData.AddRange([0.5f, -1.5f, 2f, 4f]);
        var t = Make("scale: 2 mean_value: 0.5", Phase.Test);
        Assert.That(Apply(t, d, new Rng(1)), Is.EqualTo(new[] { 0f, -4f, 3f, 7f }));
    }

    [Test]
    public void InconsistentDatumsAreErrors()
    {
        var t = Make("", Phase.Test);
        var shortBytes = new Datum { Channels = 1, Height = 2, Width = 2, Data = ByteString.CopyFrom(1, 2, 3) };
        Assert.Throws<OmnivoreException>(() => t.Transform(shortBytes, new float[4], new Rng(1)));
        var shortFloats = new Datum { Channels = 1, Height = 2, Width = 2, FloatData = { 1f } };
        Assert.Throws<OmnivoreException>(() => t.Transform(shortFloats, new float[4], new Rng(1)));
        var encoded = Bytes(1, 2, 2);
        encoded.Encoded = true;
        Assert.That(Assert.Throws<OmnivoreException>(() => t.Transform(encoded, new float[4], new Rng(1)))!.Message,
                    Does.Contain("cannot decode image"), "bytes that are no image file");
        var means = Make("mean_value: 1 mean_value: 2", Phase.Test);
        Assert.Throws<OmnivoreException>(() => means.Transform(Bytes(3, 1, 1), new float[3], new Rng(1)));
    }
}
