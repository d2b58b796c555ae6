// DrawCommand: `omnivore draw --model M [--phase TRAIN|TEST] [--out net.dot]` writes the
// net as a Graphviz graph (layers as boxes with their type and parameters, blobs as
// ovals with their shapes), the role of Caffe's draw_net.py; render with `dot -Tpng`.
using System.CommandLine;
using System.Text;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class DrawCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "the net .prototxt", Required = true };
        var phase = new Option<string>("--phase") { Description = "TRAIN or TEST", DefaultValueFactory = _ => "TRAIN" };
        var output = new Option<string?>("--out") { Description = "the .dot file (default: standard output)" };
        var cmd = new Command("draw", "Write the net as a Graphviz .dot graph with blob shapes") { model, phase, output };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(phase)!, r.GetValue(output)));
        return cmd;
    }

    public static int Run(string modelPath, string phaseName, string? output)
    {
        var phase = phaseName.ToUpperInvariant() == "TEST" ? Phase.Test : Phase.Train;
        var param = SolverFactory.LoadNet(modelPath);
        using var device = DeviceChoice.Open(false, 1, "");
        using var net = new Net(param, device, new Rng(1), new NetState { Phase = phase }, modelPath);
        var dot = ToDot(net);
        if (output is null) Console.Write(dot);
        else AtomicFile.Write(output, s => s.Write(Encoding.UTF8.GetBytes(dot)));
        return 0;
    }

    public static string ToDot(Net net)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"digraph \"{Escape(net.Name)}\" {{");
        sb.AppendLine("  rankdir=BT;");
        sb.AppendLine("  node [fontname=\"Helvetica\", fontsize=10];");
        var blobIds = new Dictionary<Blob, string>();
        string BlobNode(Blob b)
        {
            if (blobIds.TryGetValue(b, out var id)) return id;
            id = $"blob{blobIds.Count}";
            blobIds[b] = id;
            sb.AppendLine($"  {id} [shape=oval, label=\"{Escape(b.Name)}\\n{Escape(b.ShapeString)}\"];");
            return id;
        }
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var l = net.Layers[i];
            long count = l.Params.Sum(p => p.Count);
            var extra = count > 0 ? $"\\nparams {count}" : "";
            sb.AppendLine($"  layer{i} [shape=box, style=filled, fillcolor=\"{Colour(l.Type)}\", label=\"{Escape(l.Name)}\\n({Escape(l.Type)}){extra}\"];");
            foreach (var b in net.Bottoms[i])
            {
                var id = BlobNode(b); // declares the node first, so it is written before the edge
                sb.AppendLine($"  {id} -> layer{i};");
            }
            foreach (var t in net.Tops[i])
            {
                var id = BlobNode(t);
                sb.AppendLine($"  layer{i} -> {id};");
            }
        }
        sb.AppendLine("}");
        return sb.ToString();
    }

    private static string Colour(string type) => type switch
    {
        "Convolution" or "Deconvolution" => "#ff9999",
        "Pooling" => "#99ccff",
        "InnerProduct" => "#ffcc66",
        "Data" or "ImageData" or "Input" or "DummyData" or "MemoryData" or "HDF5Data" => "#99ff99",
        _ => "#dddddd",
    };

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
