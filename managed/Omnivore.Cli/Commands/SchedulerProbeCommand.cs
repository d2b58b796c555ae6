// SchedulerProbeCommand: `omnivore probe --solver S [--devices LIST] [--compare]`. Builds
// the solver's train net, one replica per device, probes each device's throughput on the
// actual net (or reads the cache, or takes --split-ratio), and prints each device's
// images/s, the chosen split and the predicted combined throughput. --compare then
// measures real training steps (forward, backward, gradient sum, update) in one run:
// each device alone with the whole batch, all devices together with the probe's split,
// and together with the split the separate throughputs of that round ask for,
// alternating, --repeat times; it prints medians, the combined throughput as a share of
// the sum of the separate ones, and the probe's split against the separate ratio. The
// share is also taken round by round (together / sum of the same round's separate
// figures) and its median printed: on a machine whose speed drifts by tens of percent
// within a minute, that median is the steadier figure, since each round is a few seconds.
using System.Diagnostics;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Scheduling;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class SchedulerProbeCommand
{
    public static int Run(string solverPath, SchedulerCli.Choice choice, int threads, bool compare, int iterations, int repeat)
    {
        if (iterations < 1 || repeat < 1) throw new OmnivoreException("--iterations and --repeat must be >= 1");
        var param = SolverFactory.Load(solverPath);
        param.TestInterval = 0;
        param.Snapshot = 0;
        param.SnapshotAfterTrain = false;
        param.Display = 0;
        param.TestIter.Clear();
        param.TestNet.Clear();
        param.TestNetParam.Clear();
        param.TestState.Clear();
        // The master (data layers, gradient sum, update) on the device `train` would use: the GPU
        // of solver_mode (Caffe's default) when there is one, else the CPU.
        using var device = DeviceChoice.Open(null, param.SolverMode == Omnivore.Model.Caffe.SolverParameter.Types.SolverMode.Gpu, threads,
                                             $"{solverPath} (solver_mode: GPU)", param.DeviceId);
        using var conv = new ConvEngine(device, ConvEngineOptions.Default);
        using var solver = SolverFactory.Create(param, device, solverPath, conv);
        using var scheduler = (choice with { Devices = choice.Devices ?? "cpu" }).Attach(solver, ConvEngineOptions.Probing)!;
        var dp = scheduler.Parallel;
        Console.WriteLine($"net {solver.Net.Name}, batch {dp.Batch}, throughputs from {(choice.Ratio is not null ? "--split-ratio" : scheduler.FromCache ? "the cache" : "the probe")}:");
        for (int i = 0; i < dp.Replicas.Count; i++)
            Console.WriteLine($"  {dp.Replicas[i].Device.Describe(),-60} {Fmt.G(scheduler.Rates[i])}{(choice.Ratio is null ? " images/s" : "")}");
        Console.WriteLine($"split: {BatchSplit.Describe(scheduler.Devices, dp.Shares)}");
        Console.WriteLine($"predicted combined: {Fmt.G(scheduler.PredictedImagesPerSecond)}{(choice.Ratio is null ? " images/s" : " (ratio units)")}");
        if (!compare) return 0;
        return Compare(solver, dp, scheduler.Devices, iterations, repeat);
    }

    private static int Compare(Solver solver, DataParallel dp, IReadOnlyList<SplitDevice> devices, int iterations, int repeat)
    {
        dp.Rebalancer = null; // measure the splits as chosen
        int n = dp.Replicas.Count, batch = dp.Batch;
        var split = dp.Shares.ToArray();
        var names = Enumerable.Range(0, n).Select(i => $"{dp.Replicas[i].Device.Label} alone").ToList();
        names.Add("together (probe split)");
        names.Add("together (alone-ratio split)");
        var samples = names.Select(_ => new List<double>()).ToArray();
        var stepMs = names.Select(_ => new List<double[]>()).ToArray();
        var ratioSplits = new List<int[]>();
        for (int rep = 0; rep < repeat; rep++)
            for (int m = 0; m < names.Count; m++)
            {
                int[] shares;
                if (m < n) { shares = new int[n]; shares[m] = batch; }
                else if (m == n) shares = split;
                else
                {
                    // The split the separate throughputs of this round ask for.
                    var alone = devices.Select((d, i) => d with { ImagesPerSecond = samples[i][^1] }).ToArray();
                    ratioSplits.Add(shares = BatchSplit.Split(batch, alone));
                }
                dp.SetShares(shares);
                solver.Step(1); // warm-up: plans for the new shapes
                dp.ResetTotals();
                var sw = Stopwatch.StartNew();
                solver.Step(iterations);
                samples[m].Add(batch * iterations / sw.Elapsed.TotalSeconds);
                stepMs[m].Add([1000 * sw.Elapsed.TotalSeconds / iterations, 1000 * dp.TotalPhaseSeconds / dp.TotalSteps,
                               1000 * dp.TotalStartLatency / dp.TotalSteps, 1000 * dp.TotalFinishLatency / dp.TotalSteps,
                               1000 * dp.TotalSourceSeconds / dp.TotalSteps, 1000 * dp.TotalReduceSeconds / dp.TotalSteps,
                               .. dp.TotalSeconds.Select(t => 1000 * t / dp.TotalSteps)]);
            }
        dp.SetShares(split);
        var med = samples.Select(Median).ToArray();
        Console.WriteLine($"measured training throughput (forward, backward, gradient sum, update), median of {repeat} x {iterations} iterations, images/s:");
        for (int m = 0; m < names.Count; m++)
        {
            var ms = Enumerable.Range(0, n + 6).Select(k => Median(stepMs[m].Select(a => a[k]).ToList())).ToArray();
            Console.WriteLine($"  {names[m],-30} {Fmt.G(med[m]),8}  ({string.Join(", ", samples[m].Select(x => Fmt.G(x)))}); " +
                              $"ms: iteration {Fmt.G(ms[0])}, data {Fmt.G(ms[4])}, concurrent phase {Fmt.G(ms[1])} (start latency {Fmt.G(ms[2])}, finish latency {Fmt.G(ms[3])}), " +
                              $"gradient sum {Fmt.G(ms[5])}, replica steps " +
                              string.Join(", ", Enumerable.Range(0, n).Where(i => ms[i + 6] > 0).Select(i => $"{dp.Replicas[i].Device.Label} {Fmt.G(ms[i + 6])}")));
        }
        double sum = med.Take(n).Sum();
        var perRound = Enumerable.Range(0, repeat).Select(r => 100 * samples[n][r] / Enumerable.Range(0, n).Sum(i => samples[i][r])).ToList();
        var perRoundRatio = Enumerable.Range(0, repeat).Select(r => 100 * samples[n + 1][r] / Enumerable.Range(0, n).Sum(i => samples[i][r])).ToList();
        var typical = ratioSplits.OrderBy(r => r[0]).ElementAt(ratioSplits.Count / 2);
        Console.WriteLine($"sum of separate: {Fmt.G(sum)}; together / sum: probe split {string.Join("+", split)} {Fmt.G(100 * med[n] / sum)}%, " +
                          $"alone-ratio split (median {string.Join("+", typical)}) {Fmt.G(100 * med[n + 1] / sum)}% (target >= 90%)");
        Console.WriteLine($"together / sum of the same round, median of {repeat} rounds: probe split {Fmt.G(Median(perRound))}% " +
                          $"({string.Join(", ", perRound.Select(x => Fmt.G(x)))}), alone-ratio split {Fmt.G(Median(perRoundRatio))}% " +
                          $"({string.Join(", ", perRoundRatio.Select(x => Fmt.G(x)))})");
        Console.WriteLine("probe split vs separate throughput shares: " + string.Join(", ", Enumerable.Range(0, n).Select(i =>
            $"{dp.Replicas[i].Device.Label} {Fmt.G(100.0 * split[i] / batch)}% vs {Fmt.G(100 * med[i] / sum)}%")));
        if (n == 2 && split[1] > 0 && med[1] > 0)
        {
            double splitRatio = (double)split[0] / split[1], ratio = med[0] / med[1];
            Console.WriteLine($"probe split ratio {Fmt.G(splitRatio)} vs separate throughput ratio {Fmt.G(ratio)}: " +
                              $"{Fmt.G(100 * Math.Abs(splitRatio / ratio - 1))}% apart (target <= 10%)");
        }
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
