// PlotCommand: `omnivore plot LOG [--out curve.png] [--x iteration|time]` draws the
// training loss and the test outputs (accuracy on the right axis) of a Caffe-format log,
// Omnivore's or Caffe's, against iterations or wall-clock seconds, with ScottPlot. Left
// out of the GPU-node bundle (no ScottPlot there), where it says so.
using System.CommandLine;
using Omnivore.Cli.Plotting;
using Omnivore.Core;

namespace Omnivore.Cli.Commands;

public static class PlotCommand
{
    public static Command Build()
    {
        var log = new Argument<string>("log") { Description = "a training log (Caffe format)" };
        var output = new Option<string>("--out") { Description = "the PNG to write", DefaultValueFactory = _ => "curve.png" };
        var x = new Option<string>("--x") { Description = "iteration or time", DefaultValueFactory = _ => "iteration" };
        var cmd = new Command("plot", "Draw loss and test accuracy curves from a training log (PNG)") { log, output, x };
        cmd.SetAction(r => Run(r.GetValue(log)!, r.GetValue(output)!, r.GetValue(x)!));
        return cmd;
    }

    public static int Run(string logPath, string output, string xAxis)
    {
        bool byTime = xAxis switch
        {
            "iteration" => false,
            "time" => true,
            _ => throw new OmnivoreException($"--x must be iteration or time, not '{xAxis}'"),
        };
        if (!File.Exists(logPath)) throw new OmnivoreException($"log '{logPath}' does not exist");
        var curves = CaffeLogParser.Parse(File.ReadLines(logPath));
        if (curves.TrainLoss.Count == 0 && curves.Test.Count == 0)
            throw new OmnivoreException($"'{logPath}' holds no 'Iteration N, loss = ...' or 'Test net output' lines");
#if OMNIVORE_PLOT
        CurvePlot.Save(curves, output, byTime, Path.GetFileName(logPath));
        Console.WriteLine($"wrote {output}: {curves.TrainLoss.Count} training points, " +
                          $"{curves.Test.Values.Sum(v => v.Count)} test points ({string.Join(", ", curves.Test.Keys)})");
        return 0;
#else
        throw new OmnivoreException("this build has no plotting (the GPU-node bundle leaves ScottPlot out); " +
                                    "run `omnivore plot` from a full build (./build.sh build)");
#endif
    }
}
