// TestCommand: `omnivore test --model M --weights W [--iterations N]`, as `caffe test`:
// runs the TEST-phase net N times and prints each output per batch and on average.
using System.CommandLine;
using Omnivore.Core;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class TestCommand
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = "the net .prototxt", Required = true };
        var weights = new Option<string>("--weights") { Description = "the trained .caffemodel", Required = true };
        var iterations = new Option<int>("--iterations") { Description = "batches to run", DefaultValueFactory = _ => 50 };
        var threads = CommonOptions.Threads();
        var gpu = CommonOptions.Gpu();
        var cmd = new Command("test", "Score a trained model on its TEST-phase data") { model, weights, iterations, threads, gpu };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(weights)!, r.GetValue(iterations), r.GetValue(threads), r.GetValue(gpu)));
        return cmd;
    }

    public static int Run(string modelPath, string weightsPath, int iterations, int threads, string? gpu)
    {
        if (iterations <= 0) throw new OmnivoreException("--iterations must be positive");
        var param = SolverFactory.LoadNet(modelPath);
        using var device = DeviceChoice.Open(gpu, false, threads, "--gpu");
        var weights = Net.ReadCaffeModel(weightsPath);
        using var net = new Net(param, device, new Rng(Rng.ClockSeed()), new NetState { Phase = Phase.Test }, modelPath);
        net.CopyTrainedLayersFrom(weights, weightsPath);
        Log.Info($"Running for {iterations} iterations.");
        var sums = new List<double[]>();
        double loss = 0;
        for (int i = 0; i < iterations; i++)
        {
            loss += net.Forward();
            int index = 0;
            for (int o = 0; o < net.OutputBlobs.Count; o++)
            {
                var v = net.OutputBlobs[o].DownloadData();
                if (sums.Count <= o) sums.Add(new double[v.Length]);
                for (int k = 0; k < v.Length; k++)
                {
                    sums[o][k] += v[k];
                    Log.Info($"Batch {i}, {net.OutputBlobs[o].Name} = {Fmt.G(v[k])}");
                    index++;
                }
            }
        }
        Log.Info($"Loss: {Fmt.G(loss / iterations)}");
        for (int o = 0; o < sums.Count; o++)
        {
            var blob = net.OutputBlobs[o];
            float w = net.LossWeightOf(blob);
            foreach (var s in sums[o])
            {
                double mean = s / iterations;
                var lossText = w != 0 ? $" (* {Fmt.G(w)} = {Fmt.G(w * mean)} loss)" : "";
                Log.Info($"{blob.Name} = {Fmt.G(mean)}{lossText}");
                Console.WriteLine($"{blob.Name} = {Fmt.G(mean)}");
            }
        }
        return 0;
    }
}
