// ImageDataTests: images in and out in Caffe's layout: the codec (BGR planes, PNG round
// trip, JPEG decode, bilinear resize), `convert imageset` (raw and encoded Datums, keys,
// shuffle, gray), compute-mean, and the ImageData and Data layers reading them back.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Data;
using Omnivore.Layers;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Data;

[TestFixture]
public class ImageDataTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("omnivore-images-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    /// <summary>A 3-channel test image whose B, G, R planes differ: value = 10*c + y*w + x.</summary>
    private static PixelImage Pattern(int c, int h, int w)
    {
        var px = new byte[c * h * w];
        for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < h * w; i++) px[ch * h * w + i] = (byte)(40 * ch + i);
        return new PixelImage(px, c, h, w);
    }

    private (string List, List<PixelImage> Images) WriteImages(int count, int c = 3, int h = 5, int w = 4)
    {
        var list = new List<string>();
        var images = new List<PixelImage>();
        for (int i = 0; i < count; i++)
        {
            var img = Pattern(c, h, w);
            img.Chw[0] = (byte)i; // make each image distinct
            images.Add(img);
            File.WriteAllBytes(Path.Combine(_dir, $"img{i}.png"), ImageCodec.EncodePng(img));
            list.Add($"img{i}.png {i % 3}");
        }
        var listFile = Path.Combine(_dir, "list.txt");
        File.WriteAllLines(listFile, list);
        return (listFile, images);
    }

    [Test]
    public void PngRoundTripKeepsBgrPlanes()
    {
        var img = Pattern(3, 5, 4);
        var back = ImageCodec.Decode(ImageCodec.EncodePng(img), ColorMode.Unchanged, "t");
        Assert.That(back, Has.Property("Channels").EqualTo(3).And.Property("Height").EqualTo(5).And.Property("Width").EqualTo(4));
        Assert.That(back.Chw, Is.EqualTo(img.Chw));
        var gray = ImageCodec.Decode(ImageCodec.EncodePng(Pattern(1, 3, 3)), ColorMode.Unchanged, "t");
        Assert.That(gray.Channels, Is.EqualTo(1));
        Assert.That(gray.Chw, Is.EqualTo(Pattern(1, 3, 3).Chw));
    }

    [Test]
    public void JpegDecodesToBgrWithinCompressionError()
    {
        // A flat colour R=200 G=100 B=50: JPEG keeps it within a few levels.
        int w = 16, h = 16;
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < w * h; i++) (rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]) = ((byte)200, (byte)100, (byte)50);
        using var ms = new MemoryStream();
        new StbImageWriteSharp.ImageWriter().WriteJpg(rgb, w, h, StbImageWriteSharp.ColorComponents.RedGreenBlue, ms, 95);
        var img = ImageCodec.Decode(ms.ToArray(), ColorMode.Unchanged, "jpeg");
        Assert.That(img.Channels, Is.EqualTo(3));
        Assert.That(img.Chw[0], Is.EqualTo(50).Within(4), "plane 0 is blue");
        Assert.That(img.Chw[h * w], Is.EqualTo(100).Within(4), "plane 1 is green");
        Assert.That(img.Chw[2 * h * w], Is.EqualTo(200).Within(4), "plane 2 is red");
    }

    [Test]
    public void BilinearResizeMatchesHalfPixelReference()
    {
        var src = new PixelImage([0, 100, 200, 250], 1, 1, 4);
        var r = ImageCodec.Resize(src, 1, 2);
        // dst x=0 samples src x = 0.5 (between 0 and 100); x=1 samples 2.5 (between 200 and 250).
        Assert.That(r.Chw, Is.EqualTo(new byte[] { 50, 225 }));
        var up = ImageCodec.Resize(new PixelImage([0, 200], 1, 1, 2), 1, 4);
        // samples at -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
        Assert.That(up.Chw, Is.EqualTo(new byte[] { 0, 50, 150, 200 }));
    }

    [Test]
    public void ConvertImagesetWritesRawDatumsWithCaffeKeys()
    {
        var (list, images) = WriteImages(3);
        var db = Path.Combine(_dir, "raw_lmdb");
        int n = ImageSetConverter.Convert(_dir + "/", list, db, new ImageSetOptions());
        Assert.That(n, Is.EqualTo(3));
        using var cursor = new LmdbCursor(db);
        for (int i = 0; i < 3; i++)
        {
            var d = Datum.Parser.ParseFrom(cursor.Current());
            Assert.That((d.Channels, d.Height, d.Width, d.Label, d.Encoded), Is.EqualTo((3, 5, 4, i % 3, false)));
            Assert.That(d.Data.ToByteArray(), Is.EqualTo(images[i].Chw));
            cursor.MoveNext();
        }
        Assert.That(cursor.Wrapped, Is.True);
    }

    [Test]
    public void EncodedDatumsKeepFileBytesAndDecodeInTheDataLayer()
    {
        var (list, images) = WriteImages(4);
        var db = Path.Combine(_dir, "enc_lmdb");
        ImageSetConverter.Convert(_dir + "/", list, db, new ImageSetOptions(Encoded: true));
        using (var cursor = new LmdbCursor(db))
        {
            var d = Datum.Parser.ParseFrom(cursor.Current());
            Assert.That(d.Encoded, Is.True);
            Assert.That(d.Data.ToByteArray(), Is.EqualTo(File.ReadAllBytes(Path.Combine(_dir, "img0.png"))));
        }
        var layer = Omnivore.Tests.Layers.LayerTestHelpers.Create($$"""
            name: "d" type: "Data" top: "data" top: "label"
            data_param { source: "{{db}}" batch_size: 2 backend: LMDB }
            """, Phase.Test);
        var data = new Blob(CpuFixture.Device, "data");
        var label = new Blob(CpuFixture.Device, "label");
        layer.SetUp([], [data, label]);
        Assert.That(data.Shape, Is.EqualTo(new[] { 2, 3, 5, 4 }));
        layer.Forward([], [data, label]);
        var values = data.DownloadData();
        Assert.That(values.Take(60).Select(v => (byte)v), Is.EqualTo(images[0].Chw));
        Assert.That(values.Skip(60).Select(v => (byte)v), Is.EqualTo(images[1].Chw));
        Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 0, 1 }));
        layer.Dispose();
    }

    [Test]
    public void ResizeAndGrayAreApplied()
    {
        var (list, _) = WriteImages(2);
        var db = Path.Combine(_dir, "small_lmdb");
        ImageSetConverter.Convert(_dir + "/", list, db, new ImageSetOptions(Gray: true, ResizeHeight: 3, ResizeWidth: 2, Encoded: true));
        using var cursor = new LmdbCursor(db);
        var d = Datum.Parser.ParseFrom(cursor.Current());
        var img = ImageCodec.Decode(d.Data.ToByteArray(), ColorMode.Unchanged, "t");
        Assert.That((img.Channels, img.Height, img.Width), Is.EqualTo((1, 3, 2)), "re-encoded after resize and gray");
    }

    [Test]
    public void ComputeMeanAveragesEveryPixel()
    {
        var (list, images) = WriteImages(3);
        var db = Path.Combine(_dir, "mean_lmdb");
        ImageSetConverter.Convert(_dir + "/", list, db, new ImageSetOptions());
        var output = Path.Combine(_dir, "mean.binaryproto");
        var perChannel = MeanComputer.Write(db, output);
        var mean = BlobProto.Parser.ParseFrom(File.ReadAllBytes(output));
        Assert.That(BlobShapes.ShapeOf(mean), Is.EqualTo(new[] { 1, 3, 5, 4 }));
        for (int k = 0; k < 60; k++)
            Assert.That(mean.Data[k], Is.EqualTo(images.Average(i => (double)i.Chw[k])).Within(1e-4));
        Assert.That(perChannel[2], Is.EqualTo(images.Average(i => i.Chw.Skip(40).Take(20).Average(b => (double)b))).Within(1e-4));
    }

    [Test]
    public void ImageDataLayerReadsTheListWithLabelsAndResize()
    {
        var (list, images) = WriteImages(3);
        var layer = Omnivore.Tests.Layers.LayerTestHelpers.Create($$"""
            name: "img" type: "ImageData" top: "data" top: "label"
            image_data_param { source: "{{list}}" root_folder: "{{_dir}}/" batch_size: 2 }
            transform_param { scale: 0.5 }
            """, Phase.Train);
        var data = new Blob(CpuFixture.Device, "data");
        var label = new Blob(CpuFixture.Device, "label");
        layer.SetUp([], [data, label]);
        Assert.That(data.Shape, Is.EqualTo(new[] { 2, 3, 5, 4 }));
        layer.Forward([], [data, label]);
        Assert.That(data.DownloadData().Take(60), Is.EqualTo(images[0].Chw.Select(b => b * 0.5f)));
        Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 0, 1 }));
        layer.Forward([], [data, label]); // wraps: image 2 then image 0
        Assert.That(label.DownloadData(), Is.EqualTo(new float[] { 2, 0 }));
        layer.Dispose();

        var resized = Omnivore.Tests.Layers.LayerTestHelpers.Create($$"""
            name: "img" type: "ImageData" top: "data" top: "label"
            image_data_param { source: "{{list}}" root_folder: "{{_dir}}/" batch_size: 1 new_height: 2 new_width: 3 is_color: false }
            """, Phase.Test);
        resized.SetUp([], [data, label]);
        Assert.That(data.Shape, Is.EqualTo(new[] { 1, 1, 2, 3 }));
        resized.Dispose();
    }

    [Test]
    public void BadListLineNamesFileAndLine()
    {
        var list = Path.Combine(_dir, "bad.txt");
        File.WriteAllLines(list, ["a.png 1", "b.png x"]);
        var e = Assert.Throws<OmnivoreException>(() => ImageSetConverter.ReadList(list));
        Assert.That(e!.Message, Does.Contain("bad.txt:2"));
    }
}
