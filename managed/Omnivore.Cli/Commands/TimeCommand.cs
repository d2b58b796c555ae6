// TimeCommand: `omnivore time --model M [--iterations N] [--shapes]`, as `caffe time`:
// builds the net, prints every blob's shape, and times forward and backward per layer
// (medians are reported by the benchmark harness; this is Caffe's average).
using System.CommandLine;
using System.Diagnostics;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class TimeCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "the net .prototxt", Required = true };
        var iterations = new Option<int>("--iterations") { Description = "timed iterations", DefaultValueFactory = _ => 50 };
        var phase = new Option<string>("--phase") { Description = "TRAIN or TEST", DefaultValueFactory = _ => "TRAIN" };
        var shapesOnly = new Option<bool>("--shapes") { Description = "print the blob shapes and stop" };
        var threads = CommonOptions.Threads();
        var gpu = CommonOptions.Gpu();
        var conv = new ConvEngineCli();
        var cmd = new Command("time", "Time a net's forward and backward passes, layer by layer")
            { model, iterations, phase, shapesOnly, threads, gpu };
        conv.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(iterations), r.GetValue(phase)!, r.GetValue(shapesOnly),
            r.GetValue(threads), r.GetValue(gpu), conv.Read(r)));
        return cmd;
    }

    public static int Run(string modelPath, int iterations, string phaseName, bool shapesOnly, int threads, string? gpu,
                          ConvEngineOptions? convOptions = null)
    {
        var phase = phaseName.ToUpperInvariant() switch
        {
            "TRAIN" => Phase.Train,
            "TEST" => Phase.Test,
            _ => throw new OmnivoreException($"--phase must be TRAIN or TEST, not '{phaseName}'"),
        };
        var param = SolverFactory.LoadNet(modelPath);
        using var device = DeviceChoice.Open(gpu is not null, threads, "--gpu");
        using var conv = new ConvEngine(device, convOptions ?? ConvEngineOptions.Probing);
        using var net = new Net(param, device, new Rng(1701), new NetState { Phase = phase }, modelPath, conv);
        PrintShapes(net);
        if (shapesOnly) return 0;
        if (iterations <= 0) throw new OmnivoreException("--iterations must be positive");
        int n = net.Layers.Count;
        var fwd = new double[n];
        var bwd = new double[n];
        Log.Info("*** Benchmark begins ***");
        Log.Info($"Testing for {iterations} iterations.");
        var total = Stopwatch.StartNew();
        for (int it = 0; it < iterations; it++)
        {
            var iter = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                var t = Stopwatch.StartNew();
                net.ForwardLayer(i);
                fwd[i] += t.Elapsed.TotalMilliseconds;
            }
            for (int i = n - 1; i >= 0; i--)
            {
                var t = Stopwatch.StartNew();
                net.BackwardLayer(i);
                bwd[i] += t.Elapsed.TotalMilliseconds;
            }
            Log.Info($"Iteration: {it + 1} forward-backward time: {iter.Elapsed.TotalMilliseconds:F0} ms.");
        }
        for (int i = 0; i < n; i++)
        {
            Log.Info($"{net.Layers[i].Name,12}\tforward: {Fmt.G(fwd[i] / iterations)} ms.");
            Log.Info($"{net.Layers[i].Name,12}\tbackward: {Fmt.G(bwd[i] / iterations)} ms.");
        }
        Log.Info($"Average Forward pass: {Fmt.G(fwd.Sum() / iterations)} ms.");
        Log.Info($"Average Backward pass: {Fmt.G(bwd.Sum() / iterations)} ms.");
        Log.Info($"Average Forward-Backward: {Fmt.G(total.Elapsed.TotalMilliseconds / iterations)} ms.");
        Log.Info($"Total Time: {Fmt.G(total.Elapsed.TotalMilliseconds)} ms.");
        Log.Info(MemoryReport.Line(conv));
        Log.Info("*** Benchmark ends ***");
        return 0;
    }

    /// <summary>
    /// One line per layer and top on standard output: "layer (Type) -> blob: N C H W (count)",
    /// then one per layer with learnable parameters, and the total parameter count.
    /// </summary>
    public static void PrintShapes(Net net)
    {
        for (int i = 0; i < net.Layers.Count; i++)
            foreach (var top in net.Tops[i])
                Console.WriteLine($"{net.Layers[i].Name} ({net.Layers[i].Type}) -> {top.Name}: {top.ShapeString}");
        long total = 0;
        foreach (var layer in net.Layers.Where(l => l.Params.Count > 0))
        {
            long count = layer.Params.Sum(p => p.Count);
            total += count;
            Console.WriteLine($"params {layer.Name}: {string.Join(" + ", layer.Params.Select(p => p.ShapeString))} = {count}");
        }
        Console.WriteLine($"params total: {total} ({Fmt.G(total * 4.0 / (1 << 20))} MiB as float)");
    }
}
