// ProbeCommand: `omnivore probe [--refresh] [--threads N] [--sgemm-size S]` prints the CPU
// model, cores, and the measured FMA and sgemm peaks on 1 thread and on all threads,
// cached per machine in ~/.cache/omnivore (JSON); --refresh measures again.
using System.CommandLine;
using Omnivore.Core;
using Omnivore.Native;

namespace Omnivore.Cli.Commands;

public static class ProbeCommand
{
    public static Command Build()
    {
        var refresh = new Option<bool>("--refresh") { Description = "measure again instead of using the cached figures" };
        var size = new Option<int>("--sgemm-size") { Description = "side of the square sgemm", DefaultValueFactory = _ => 2048 };
        var threads = CommonOptions.Threads();
        var cmd = new Command("probe", "Measure (or show the cached) FMA and sgemm peaks of this machine") { refresh, size, threads };
        cmd.SetAction(r => Run(r.GetValue(refresh), r.GetValue(size), r.GetValue(threads)));
        return cmd;
    }

    public static int Run(bool refresh, int sgemmSize, int threads)
    {
        if (sgemmSize <= 0) throw new OmnivoreException("--sgemm-size must be positive");
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        var cached = refresh ? null : MachineProbe.TryLoad(threads);
        if (cached is not null && cached.SgemmSize != sgemmSize && sgemmSize != 2048) cached = null;
        var peak = cached ?? MachineProbe.GetOrMeasure(threads, refresh: true, sgemmSize, s => Log.Info($"probe: {s}"));
        foreach (var line in MachineProbe.Describe(peak)) Console.WriteLine(line);
        Console.WriteLine(cached is not null
            ? $"(cached in {MachineProbe.CachePath(threads)}; --refresh measures again)"
            : $"(saved to {MachineProbe.CachePath(threads)})");
        return 0;
    }
}
