// CaffemodelLayoutTests: .caffemodel files at the wire level, against Caffe's published
// field layout (NetParameter.layer = 100, LayerParameter name = 1, type = 2, blobs = 7;
// BlobProto shape = 7 with packed dim = 1, packed data = 5, legacy num/channels/height/
// width = 1..4). A file written byte by byte in Caffe's layout (as Caffe 1.0 and older
// Caffe write it) loads into our net, and what we write parses back field by field and
// round-trips without loss.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class CaffemodelLayoutTests
{
    private const string NetText = """
        name: "tiny"
        layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 2 dim: 3 dim: 3 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 2 } }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 3 } }
        """;

    private static Net Build() =>
        new(TextFormat.Parse<NetParameter>(NetText, "tiny"), CpuFixture.Device, new Rng(5), new NetState { Phase = Phase.Test });

    private static void WriteBytesField(CodedOutputStream o, int field, byte[] bytes)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(bytes));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        write(o);
        o.Flush();
        return ms.ToArray();
    }

    private static byte[] PackedFloats(float[] v) => Message(o => { foreach (var x in v) o.WriteFloat(x); });

    /// <summary>A BlobProto as Caffe writes it: legacy 4-D dims (old Caffe) or shape { dim } (Caffe 1.0).</summary>
    private static byte[] CaffeBlob(int[] dims, float[] data, bool legacy) => Message(o =>
    {
        if (legacy)
        {
            var four = Enumerable.Repeat(1, 4 - dims.Length).Concat(dims).ToArray();
            for (int i = 0; i < 4; i++) { o.WriteTag(i + 1, WireFormat.WireType.Varint); o.WriteInt32(four[i]); }
        }
        else
        {
            var shape = Message(s => WriteBytesField(s, 1, Message(d => { foreach (var x in dims) d.WriteInt64(x); })));
            WriteBytesField(o, 7, shape);
        }
        WriteBytesField(o, 5, PackedFloats(data));
    });

    private static byte[] CaffeLayer(string name, string type, params byte[][] blobs) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(name);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(type);
        foreach (var b in blobs) WriteBytesField(o, 7, b);
    });

    [TestCase(true)]
    [TestCase(false)]
    public void CaffeLayoutFileLoads(bool legacyDims)
    {
        float[] Seq(int n, float start) => Enumerable.Range(0, n).Select(i => start + i * 0.5f).ToArray();
        var file = Message(o =>
        {
            o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString("tiny");
            WriteBytesField(o, 100, CaffeLayer("conv", "Convolution",
                CaffeBlob([2, 2, 2, 2], Seq(16, 1), legacyDims), CaffeBlob([2], Seq(2, -1), legacyDims)));
            WriteBytesField(o, 100, CaffeLayer("ip", "InnerProduct",
                CaffeBlob([3, 8], Seq(24, 3), legacyDims), CaffeBlob([3], Seq(3, 7), legacyDims)));
        });
        var path = Path.Combine(Path.GetTempPath(), $"caffe-layout-{Guid.NewGuid():N}.caffemodel");
        File.WriteAllBytes(path, file);
        try
        {
            using var net = Build();
            net.CopyTrainedLayersFrom(path);
            Assert.That(net.Layer("conv").Params[0].DownloadData(), Is.EqualTo(Seq(16, 1)));
            Assert.That(net.Layer("conv").Params[1].DownloadData(), Is.EqualTo(Seq(2, -1)));
            Assert.That(net.Layer("ip").Params[0].DownloadData(), Is.EqualTo(Seq(24, 3)));
            Assert.That(net.Layer("ip").Params[1].DownloadData(), Is.EqualTo(Seq(3, 7)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void WrittenFileUsesCaffeFieldNumbersAndRoundTripsExactly()
    {
        using var net = Build();
        var bytes = net.ToProto().ToByteArray();
        // Walk the top level: only field 1 (name) and field 100 (layer), both length-delimited.
        var input = new CodedInputStream(bytes);
        var layers = new List<byte[]>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            Assert.That(WireFormat.GetTagWireType(tag), Is.EqualTo(WireFormat.WireType.LengthDelimited));
            Assert.That(field, Is.AnyOf(1, 100));
            var payload = input.ReadBytes().ToByteArray();
            if (field == 100) layers.Add(payload);
        }
        Assert.That(layers, Has.Count.EqualTo(3));
        // The conv layer: name (1), type (2) and two blobs (7) whose shape (7) holds packed dims (1).
        var conv = new CodedInputStream(layers[1]);
        var seen = new List<int>();
        var blobs = new List<byte[]>();
        while ((tag = conv.ReadTag()) != 0)
        {
            int f = WireFormat.GetTagFieldNumber(tag);
            seen.Add(f);
            if (f == 7) blobs.Add(conv.ReadBytes().ToByteArray());
            else conv.SkipLastField();
        }
        Assert.That(seen, Does.Contain(1).And.Contain(2));
        Assert.That(blobs, Has.Count.EqualTo(2));
        var blob = BlobProto.Parser.ParseFrom(blobs[0]);
        Assert.That(blob.Shape.Dim, Is.EqualTo(new long[] { 2, 2, 2, 2 }));
        Assert.That(blob.Data, Is.EqualTo(net.Layer("conv").Params[0].DownloadData()));

        // Lossless: every float bit survives a write and a read into a second net.
        using var other = Build();
        other.CopyTrainedLayersFrom(NetParameter.Parser.ParseFrom(bytes), "memory");
        foreach (var name in new[] { "conv", "ip" })
            for (int i = 0; i < 2; i++)
                Assert.That(other.Layer(name).Params[i].DownloadData().Select(BitConverter.SingleToInt32Bits),
                    Is.EqualTo(net.Layer(name).Params[i].DownloadData().Select(BitConverter.SingleToInt32Bits)));
    }
}
