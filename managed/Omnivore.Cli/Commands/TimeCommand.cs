// TimeCommand: `omnivore time --model M [--iterations N] [--shapes]`, as `caffe time`:
// builds the net, prints every blob's shape, and times forward and backward per layer
// with Caffe's report lines (averages); then a table of medians per layer (share of the
// iteration, GFLOP/s) and the iteration's ms, images/s, GFLOP/s and share of the machine
// peak measured by `omnivore probe` (cached; measured on first use). The SGD update of the
// parameters is timed too (fwd+bwd+update), unless --no-update.
using System.CommandLine;
using Omnivore.Cli.Timing;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Model.Caffe;
using Omnivore.Native;
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
        var warmup = new Option<int>("--warmup") { Description = "untimed iterations first (Caffe: 0)", DefaultValueFactory = _ => 0 };
        var noUpdate = new Option<bool>("--no-update") { Description = "do not time the SGD update (Caffe's `time` does not)" };
        // Not --no-probe: that is the conv engine's (skip the plan probe), added below.
        var noPeak = new Option<bool>("--no-peak") { Description = "do not measure the machine peak nor report the share of it" };
        var threads = CommonOptions.Threads();
        var gpu = CommonOptions.Gpu();
        var conv = new ConvEngineCli();
        var cmd = new Command("time", "Time a net's forward and backward passes, layer by layer")
            { model, iterations, phase, shapesOnly, warmup, noUpdate, noPeak, threads, gpu };
        conv.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(iterations), r.GetValue(phase)!, r.GetValue(shapesOnly),
            r.GetValue(threads), r.GetValue(gpu), r.GetValue(warmup), !r.GetValue(noUpdate), !r.GetValue(noPeak), conv.Read(r)));
        return cmd;
    }

    public static int Run(string modelPath, int iterations, string phaseName, bool shapesOnly, int threads, string? gpu,
                          int warmup = 0, bool update = true, bool probe = true, ConvEngineOptions? convOptions = null)
    {
        var phase = phaseName.ToUpperInvariant() switch
        {
            "TRAIN" => Phase.Train,
            "TEST" => Phase.Test,
            _ => throw new OmnivoreException($"--phase must be TRAIN or TEST, not '{phaseName}'"),
        };
        var param = SolverFactory.LoadNet(modelPath);
        using var device = DeviceChoice.Open(gpu, false, threads, "--gpu");
        using var conv = new ConvEngine(device, convOptions ?? ConvEngineOptions.Probing);
        using var net = new Net(param, device, new Rng(1701), new NetState { Phase = phase }, modelPath, conv);
        PrintShapes(net);
        if (shapesOnly) return 0;
        if (iterations <= 0) throw new OmnivoreException("--iterations must be positive");
        if (warmup < 0) throw new OmnivoreException("--warmup must be >= 0");
        var peak = probe ? Peak(DeviceThreads(device)) : null;
        Log.Info("*** Benchmark begins ***");
        Log.Info($"Testing for {iterations} iterations.");
        var timing = NetTimer.Run(net, iterations, warmup, update && phase == Phase.Train,
            (it, fb, upd) => Log.Info($"Iteration: {it + 1} forward-backward time: {fb:F0} ms." +
                                      (upd > 0 ? $" (update {upd:F1} ms)" : "")));
        foreach (var l in timing.Layers)
        {
            Log.Info($"{l.Name,12}\tforward: {Fmt.G(l.MeanForwardMs)} ms.");
            Log.Info($"{l.Name,12}\tbackward: {Fmt.G(l.MeanBackwardMs)} ms.");
        }
        Log.Info($"Average Forward pass: {Fmt.G(timing.ForwardMs.Average())} ms.");
        Log.Info($"Average Backward pass: {Fmt.G(timing.BackwardMs.Average())} ms.");
        Log.Info($"Average Forward-Backward: {Fmt.G(timing.ForwardBackwardMs.Average())} ms.");
        if (timing.Update) Log.Info($"Average Update: {Fmt.G(timing.UpdateMs.Average())} ms.");
        Log.Info($"Total Time: {Fmt.G(timing.IterationMs.Sum())} ms.");
        Log.Info(MemoryReport.Line(conv));
        Log.Info("*** Benchmark ends ***");
        Console.Write(TimeReport.Format(timing, peak));
        return 0;
    }

    /// <summary>Threads of the device (all logical CPUs for devices that do not say).</summary>
    public static int DeviceThreads(IDevice device) => device is CpuDevice cpu ? cpu.Threads : Environment.ProcessorCount;

    /// <summary>The machine peak for `threads` threads, from the probe's cache or measured once.</summary>
    public static MachinePeak? Peak(int threads)
    {
        if (MachineProbe.TryLoad(threads) is { } cached) return cached;
        Log.Info($"Measuring the machine peak once (cached in {MachineProbe.CacheDirectory}; `omnivore probe --refresh` re-measures)");
        return MachineProbe.GetOrMeasure(threads, progress: s => Log.Info($"probe: {s}"));
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
