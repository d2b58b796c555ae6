// ProbeCommand: `omnivore probe [--refresh] [--threads N] [--sgemm-size S]` prints the CPU
// model, cores, and the measured FMA and sgemm peaks on 1 thread and on all threads,
// cached per machine in ~/.cache/omnivore (JSON); --refresh measures again.
// With --solver S it probes the scheduler's devices on S's train net instead
// (SchedulerProbeCommand: --devices, --split-ratio, --reprobe, --compare).
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
        var solver = new Option<string?>("--solver") { Description = "probe the --devices on this solver's train net (scheduler split)" };
        var compare = new Option<bool>("--compare") { Description = "with --solver: measure each device alone and all together" };
        var iterations = new Option<int>("--iterations") { Description = "with --compare: iterations per measurement", DefaultValueFactory = _ => 10 };
        var repeat = new Option<int>("--repeat") { Description = "with --compare: measurements per mode (medians)", DefaultValueFactory = _ => 3 };
        var devices = new SchedulerCli();
        var cmd = new Command("probe", "Measure (or show the cached) FMA and sgemm peaks of this machine, or with --solver the devices' throughput and split")
            { refresh, size, threads, solver, compare, iterations, repeat };
        devices.AddTo(cmd);
        cmd.SetAction(r => r.GetValue(solver) is { } s
            ? SchedulerProbeCommand.Run(s, devices.Read(r) with { Reprobe = r.GetValue(devices.Reprobe) || r.GetValue(refresh) },
                                        r.GetValue(threads), r.GetValue(compare), r.GetValue(iterations), r.GetValue(repeat))
            : Run(r.GetValue(refresh), r.GetValue(size), r.GetValue(threads)));
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
