// CliErrorTests: bad input through the `omnivore` program gives exactly one clear error
// line on standard error and exit code 1, never a stack trace: a malformed prototxt, a
// missing LMDB, a truncated .caffemodel, a shape mismatch, an unknown layer type.
using Google.Protobuf;
using Omnivore.Cli;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class CliErrorTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("omnivore-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, true);

    private static (int Code, string Error) Run(params string[] args) => CliInProcess.Run(args);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static void AssertOneLine((int Code, string Error) r, params string[] fragments)
    {
        Assert.That(r.Code, Is.EqualTo(1));
        var lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), r.Error);
        Assert.That(lines[0], Does.StartWith("omnivore: error: "));
        Assert.That(lines[0], Does.Not.Contain("   at "));
        foreach (var f in fragments) Assert.That(lines[0], Does.Contain(f));
    }

    private const string TinyNet = """
        name: "tiny"
        layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 4 } }
        """;

    [Test]
    public void MalformedPrototxtNamesFileLineAndColumn()
    {
        var net = Write("bad.prototxt", "name: \"x\"\nlayer {\n  name: \"a\"\n  kernal_size: 3\n}\n");
        var r = Run("time", "--model", net, "--shapes");
        AssertOneLine(r, "bad.prototxt:4:3:", "kernal_size");
    }

    [Test]
    public void MissingLmdbSaysWhatToDo()
    {
        var net = Write("data.prototxt", """
            layer { name: "d" type: "Data" top: "data" top: "label"
                    data_param { source: "no/such_lmdb" batch_size: 4 backend: LMDB } }
            """);
        var r = Run("time", "--model", net, "--shapes");
        AssertOneLine(r, "no/such_lmdb", "does not exist");
    }

    [Test]
    public void TruncatedCaffemodelIsReportedAsSuch()
    {
        var net = Write("tiny.prototxt", TinyNet);
        var p = new NetParameter { Name = "tiny" };
        var layer = new LayerParameter { Name = "ip", Type = "InnerProduct" };
        for (int i = 0; i < 2; i++)
        {
            var b = new BlobProto { Shape = new BlobShape() };
            b.Shape.Dim.AddRange(i == 0 ? [4L, 3L] : [4L]);
            b.Data.AddRange(Enumerable.Repeat(0.5f, i == 0 ? 12 : 4));
            layer.Blobs.Add(b);
        }
        p.Layer.Add(layer);
        var bytes = p.ToByteArray();
        var model = Path.Combine(_dir, "cut.caffemodel");
        File.WriteAllBytes(model, bytes[..(bytes.Length - 7)]);
        var r = Run("test", "--model", net, "--weights", model, "--iterations", "1");
        AssertOneLine(r, "cut.caffemodel", "truncated");
    }

    [Test]
    public void ShapeMismatchNamesTheLayerAndBothShapes()
    {
        var net = Write("tiny.prototxt", TinyNet);
        var p = new NetParameter { Name = "tiny" };
        var layer = new LayerParameter { Name = "ip", Type = "InnerProduct" };
        var w = new BlobProto { Shape = new BlobShape() };
        w.Shape.Dim.AddRange([5L, 3L]);
        w.Data.AddRange(new float[15]);
        var bias = new BlobProto { Shape = new BlobShape() };
        bias.Shape.Dim.Add(5L);
        bias.Data.AddRange(new float[5]);
        layer.Blobs.Add(w);
        layer.Blobs.Add(bias);
        p.Layer.Add(layer);
        var model = Path.Combine(_dir, "wrong.caffemodel");
        File.WriteAllBytes(model, p.ToByteArray());
        var r = Run("test", "--model", net, "--weights", model, "--iterations", "1");
        AssertOneLine(r, "'ip'", "5 3 (15)", "4 3 (12)");
    }

    [Test]
    public void BlobShapeMismatchBetweenLayersNamesTheLayer()
    {
        var net = Write("mismatch.prototxt", """
            layer { name: "in" type: "Input" top: "data" top: "label"
                    input_param { shape { dim: 2 dim: 10 } shape { dim: 3 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "data" bottom: "label" top: "loss" }
            """);
        var r = Run("time", "--model", net, "--shapes");
        AssertOneLine(r, "layer 'loss'", "label count 3");
    }

    [Test]
    public void UnknownLayerTypeListsKnownTypes()
    {
        var net = Write("unknown.prototxt", """
            layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 } } }
            layer { name: "swish1" type: "Swish" bottom: "data" top: "s" }
            """);
        var r = Run("time", "--model", net, "--shapes");
        AssertOneLine(r, "'swish1'", "'Swish'", "Convolution");
    }

    [Test]
    public void MissingSolverFileIsOneLine()
    {
        var r = Run("train", "--solver", Path.Combine(_dir, "none.prototxt"));
        AssertOneLine(r, "none.prototxt", "does not exist");
    }

    [Test]
    public void CaffeStyleFlagsAreAccepted()
    {
        var net = Write("tiny.prototxt", TinyNet);
        var oldOut = Console.Out;
        var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            var r = Run("time", "-model", net, "--shapes");
            Assert.That(r.Code, Is.EqualTo(0), r.Error);
        }
        finally
        {
            Console.SetOut(oldOut);
        }
        Assert.That(output.ToString(), Does.Contain("ip (InnerProduct) -> ip: 2 4 (8)"));
    }
}
