// BenchCommand: `omnivore bench`, the macro harness. Trains (forward + backward + SGD
// update) the DummyData benchmark nets — CaffeNet batch 64 and 256, LeNet batch 64, from
// --nets (default: shared/caffe/bench found above the working directory) — in every
// convolution mode the build has, in one run, and prints per workload:
// median ms per iteration, images/s, GFLOP/s, % of the sgemm peak (sampled in the run), the
// batched/Caffe-strategy ratio, and the figures recorded with Caffe, CcT and PyTorch
// (RECORDED.md, labelled as recorded). Writes the rows as JSON and CSV (--out).
// The modes of a workload run in interleaved rounds (--rounds, default 3: every mode once
// per round, the order rotating), and each mode's medians pool its rounds, so a machine
// whose speed drifts over minutes slows every mode alike instead of the one that ran
// during a slow spell; an sgemm sample follows every mode of every round. Besides the %
// of the largest sgemm sample (the conservative figure), each round is also set against
// the samples taken right before and after it, the machine's sgemm speed at that time.
using System.CommandLine;
using Omnivore.Cli.Bench;
using Omnivore.Cli.Timing;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Model.Caffe;
using Omnivore.Native;
using Omnivore.Nets;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class BenchCommand
{
    public static readonly string[] DefaultNets = ["caffenet_dummy_b64.prototxt", "caffenet_dummy_b256.prototxt", "lenet_dummy_b64.prototxt"];

    public static Command Build()
    {
        var nets = new Option<string?>("--nets") { Description = "folder of the benchmark nets and RECORDED.md (default: shared/caffe/bench above the working directory)" };
        var only = new Option<string?>("--only") { Description = "comma-separated net files to run (default: the CaffeNet b64, b256 and LeNet b64 nets)" };
        var modes = new Option<string?>("--modes") { Description = $"comma-separated convolution modes (default: all this CPU runs of {string.Join(",", ConvModes.All)})" };
        var iterations = new Option<int>("--iterations") { Description = "timed iterations per net and mode, at least (see --min-seconds); medians are reported", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "untimed iterations first", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "results file stem: writes STEM.json and STEM.csv", DefaultValueFactory = _ => "build/bench/results" };
        var minSeconds = new Option<double>("--min-seconds") { Description = "a fast net runs more timed iterations, up to about this many seconds (at most 500)", DefaultValueFactory = _ => DefaultMinSeconds };
        var rounds = new Option<int>("--rounds") { Description = "interleaved rounds: each round runs every mode once (rotating the order), with --warmup untimed and its share of --iterations timed", DefaultValueFactory = _ => DefaultRounds };
        var threads = CommonOptions.Threads();
        var cmd = new Command("bench", "Macro benchmark: train the benchmark nets in each convolution mode; images/s, GFLOP/s, % of peak")
            { nets, only, modes, iterations, warmup, output, minSeconds, threads, rounds };
        cmd.SetAction(r => Run(r.GetValue(nets), r.GetValue(only), r.GetValue(modes), r.GetValue(iterations), r.GetValue(warmup),
            r.GetValue(output)!, r.GetValue(threads), r.GetValue(minSeconds), r.GetValue(rounds)));
        return cmd;
    }

    public static int Run(string? netsDir, string? only, string? modeList, int iterations, int warmup, string outStem, int threads,
                          double minSeconds = DefaultMinSeconds, int rounds = DefaultRounds)
    {
        if (minSeconds < 0) throw new OmnivoreException("--min-seconds must be >= 0");
        if (rounds <= 0) throw new OmnivoreException("--rounds must be positive");
        if (iterations <= 0) throw new OmnivoreException("--iterations must be positive");
        if (warmup < 0) throw new OmnivoreException("--warmup must be >= 0");
        var dir = netsDir ?? FindBenchFolder()
            ?? throw new OmnivoreException("no shared/caffe/bench folder above the working directory; give the nets folder with --nets");
        if (!Directory.Exists(dir)) throw new OmnivoreException($"--nets: folder '{dir}' does not exist");
        var files = (only?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? DefaultNets)
            .Select(f => Path.Combine(dir, f)).ToList();
        foreach (var f in files)
            if (!File.Exists(f)) throw new OmnivoreException($"benchmark net '{f}' not found");
        var recorded = RecordedFigures.Load(Path.Combine(dir, "RECORDED.md"));

        using var device = DeviceChoice.Open(false, threads, "bench");
        var available = ConvModes.Available(device);
        var modes = modeList?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList()
                    ?? available.ToList();
        foreach (var m in modes)
            if (!available.Contains(m))
                throw new OmnivoreException($"--modes: '{m}' is not available on this machine (available: {string.Join(", ", available)}; packed needs AVX-512)");
        int deviceThreads = TimeCommand.DeviceThreads(device);
        var peak = TimeCommand.Peak(deviceThreads);
        // The machines drift: the sgemm peak the percentages divide by is measured in this run,
        // before, between and after the workloads, not taken from the probe's cache; the
        // largest sample, since load on a shared machine only ever lowers it (the
        // conservative choice: the percentages can only come out low).
        var sgemm = new List<double> { MeasureSgemm(deviceThreads) };
        var results = new List<BenchResult>();
        foreach (var file in files)
        {
            var parts = modes.ToDictionary(m => m, _ => new List<NetTiming>());
            var paired = modes.ToDictionary(m => m, _ => new List<double>());
            int? perRound = null;
            for (int round = 0; round < rounds; round++)
                for (int k = 0; k < modes.Count; k++)
                {
                    var mode = modes[(k + round) % modes.Count];
                    double before = sgemm[^1];
                    var timing = TimeOneMode(device, file, mode, iterations, warmup, rounds, minSeconds, ref perRound);
                    parts[mode].Add(timing);
                    sgemm.Add(MeasureSgemm(deviceThreads));
                    paired[mode].Add(BenchResult.PairedPercent(timing.Gflops, before, sgemm[^1]));
                    Log.Info($"bench: {Path.GetFileName(file)} {mode}, round {round + 1} of {rounds}: " +
                             $"{timing.MedianIterationMs:F1} ms/iter, {timing.ImagesPerSecond:F1} images/s, " +
                             $"{paired[mode][^1]:F1}% of the sgemm samples around it ({before:F1}, {sgemm[^1]:F1} GFLOP/s)");
                }
            foreach (var mode in modes)
            {
                var r = BenchResult.From(Workload(file, parts[mode][0].BatchSize), Path.GetFileName(file), mode, warmup,
                                         deviceThreads, NetTiming.Concat(parts[mode]), peak) with { Rounds = rounds, PairedPercents = paired[mode] };
                Log.Info($"bench: {r.Workload} {mode}: {r.IterationMs:F1} ms/iter, {r.ImagesPerSecond:F1} images/s, {r.Gflops:F1} GFLOP/s");
                results.Add(r);
            }
        }
        if (peak is not null)
        {
            peak = peak with { SgemmGflopsAll = sgemm.Max(), SgemmMedianInRun = Stats.Median(sgemm.ToArray()), MeasuredUtc = DateTime.UtcNow };
            Log.Info($"bench: sgemm {PeakSize}^3 on {deviceThreads} threads measured in this run, before, between and after the workloads: " +
                     $"{string.Join(", ", sgemm.Select(g => g.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} GFLOP/s; the largest is the peak below");
        }
        results = results.Select(r => r.WithPeak(peak)).ToList();
        Console.Write(BenchReport.Format(results, recorded, peak));
        var outDir = Path.GetDirectoryName(Path.GetFullPath(outStem))!;
        Directory.CreateDirectory(outDir);
        File.WriteAllText(outStem + ".json", BenchReport.ToJson(results));
        File.WriteAllText(outStem + ".csv", BenchReport.ToCsv(results));
        Console.WriteLine($"results: {outStem}.json, {outStem}.csv");
        return 0;
    }

    public const int DefaultRounds = 3;

    /// <summary>One mode's share of a round: a fresh net, `warmup` untimed iterations, then the timed ones. The
    /// first call fixes the timed iterations per round (perRound) for every mode of the workload: the
    /// round's share of --iterations, or more for a fast net, enough for about --min-seconds over all rounds.</summary>
    private static NetTiming TimeOneMode(IDevice device, string file, string mode, int iterations, int warmup, int rounds,
                                         double minSeconds, ref int? perRound)
    {
        using var conv = new ConvEngine(device, ConvModes.Options(mode));
        bool verbose = Log.Verbose;
        Log.Verbose = false;   // the net's set-up lines would drown the table
        try
        {
            using var net = new Net(SolverFactory.LoadNet(file), device, new Rng(1701), new NetState { Phase = Phase.Train }, file, conv);
            int share = (iterations + rounds - 1) / rounds;
            if (perRound is not null) return NetTimer.Run(net, perRound.Value, warmup, update: true);
            // The last warm-up iteration is the one timed for this estimate.
            var first = NetTimer.Run(net, 1, Math.Max(warmup - 1, 0), update: true);
            double wanted = Math.Ceiling(minSeconds * 1000 / rounds / Math.Max(first.MedianIterationMs, 1e-3));
            perRound = Math.Max(share, (int)Math.Min((MaxIterations + rounds - 1) / rounds, wanted));
            return NetTimer.Run(net, perRound.Value, 0, update: true);
        }
        finally { Log.Verbose = verbose; }
    }

    private const int PeakSize = 2048;
    public const double DefaultMinSeconds = 3;
    private const int MaxIterations = 500;

    private static double MeasureSgemm(int threads) => MachineProbe.SgemmGflops(threads, PeakSize, 5);

    /// <summary>"CaffeNet b64" from caffenet_dummy_b64.prototxt and batch 64, spelled as RECORDED.md's headers.</summary>
    public static string Workload(string file, int batch)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        var model = stem.Split('_')[0].ToLowerInvariant() switch
        {
            "caffenet" => "CaffeNet",
            "lenet" => "LeNet",
            var other => other,
        };
        return $"{model} b{batch}";
    }

    /// <summary>shared/caffe/bench in the working directory or a folder above it.</summary>
    public static string? FindBenchFolder()
    {
        for (var d = new DirectoryInfo(Directory.GetCurrentDirectory()); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "shared", "caffe", "bench");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}
