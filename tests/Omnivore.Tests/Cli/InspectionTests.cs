// InspectionTests: `omnivore time --shapes` lists every blob shape and the parameter
// counts; `omnivore draw` writes a Graphviz graph with one node per layer and blob.
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
public class InspectionTests
{
    private const string Net = """
        name: "small"
        layer { name: "in" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 4 kernel_size: 3 } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "ip" type: "InnerProduct" bottom: "conv" top: "ip" inner_product_param { num_output: 5 } }
        """;

    private static Net Build() =>
        new(TextFormat.Parse<NetParameter>(Net, "small"), CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Test });

    [Test]
    public void ShapesListBlobsAndParameterCounts()
    {
        using var net = Build();
        var old = Console.Out;
        var sw = new StringWriter();
        Console.SetOut(sw);
        try { TimeCommand.PrintShapes(net); }
        finally { Console.SetOut(old); }
        var text = sw.ToString();
        Assert.That(text, Does.Contain("conv (Convolution) -> conv: 2 4 6 6 (288)"));
        Assert.That(text, Does.Contain("ip (InnerProduct) -> ip: 2 5 (10)"));
        Assert.That(text, Does.Contain("params conv: 4 3 3 3 (108) + 4 (4) = 112"));
        Assert.That(text, Does.Contain("params ip: 5 144 (720) + 5 (5) = 725"));
        Assert.That(text, Does.Contain("params total: 837"));
    }

    [Test]
    public void DrawWritesOneNodePerLayerAndBlob()
    {
        using var net = Build();
        var dot = DrawCommand.ToDot(net);
        Assert.That(dot, Does.StartWith("digraph \"small\" {"));
        Assert.That(dot.Split('\n').Count(l => l.Contains("shape=box")), Is.EqualTo(4));
        Assert.That(dot.Split('\n').Count(l => l.Contains("shape=oval")), Is.EqualTo(3), "data, conv (in place), ip");
        Assert.That(dot, Does.Contain("label=\"conv\\n(Convolution)\\nparams 112\""));
        Assert.That(dot.TrimEnd(), Does.EndWith("}"));
    }
}
