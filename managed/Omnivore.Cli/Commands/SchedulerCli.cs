// SchedulerCli: the multi-device options shared by `train` and `probe`:
//   --devices LIST        replicas, e.g. cpu:threads=1,cpu:threads=1:slowdown=2 (DeviceSpec)
//   --split-ratio A:B     relative throughputs by hand (skips the probe and rebalancing)
//   --reprobe             measure again instead of using the cached throughputs
//   --probe-seconds S     probe time per device (all devices are probed at once)
//   --fc-parallel MODE    auto (measure both, keep the faster), data (every layer on every
//                         replica) or model (fully connected layers on the master only)
// Without --devices, `train` keeps its one-device path unchanged.
using System.CommandLine;
using Omnivore.Scheduling;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public sealed class SchedulerCli
{
    public Option<string?> Devices { get; } = new("--devices")
    {
        Description = "split every minibatch over these devices, e.g. cpu:threads=1,cpu:threads=1:slowdown=2 (see README)",
    };
    public Option<string?> Ratio { get; } = new("--split-ratio") { Description = "relative device throughputs by hand, e.g. 3:1 (no probe)" };
    public Option<bool> Reprobe { get; } = new("--reprobe") { Description = "measure the devices again instead of using the cached throughputs" };
    public Option<double> ProbeSeconds { get; } = new("--probe-seconds")
    {
        Description = "probe time per device, seconds (devices are probed at the same time)",
        DefaultValueFactory = _ => 1.5,
    };

    public Option<string> FcParallel { get; } = new("--fc-parallel")
    {
        Description = "fully connected layers: auto (measure both, keep the faster), data (on every replica) or model (on the master only)",
        DefaultValueFactory = _ => "auto",
    };

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(FcParallel);
        cmd.Options.Add(Devices);
        cmd.Options.Add(Ratio);
        cmd.Options.Add(Reprobe);
        cmd.Options.Add(ProbeSeconds);
    }

    public sealed record Choice(string? Devices, string? Ratio, bool Reprobe, double ProbeSeconds, string FcParallel = "auto")
    {
        /// <summary>Builds the replicas and takes over the solver's forward+backward; null without --devices.</summary>
        public Scheduler? Attach(Solver solver, Engine.ConvEngineOptions? conv = null)
        {
            if (Devices is null)
            {
                if (Ratio is not null) throw new Core.OmnivoreException("--split-ratio needs --devices");
                return null;
            }
            if (!(ProbeSeconds > 0)) throw new Core.OmnivoreException("--probe-seconds must be positive");
            var devices = SchedulerDevices.Open(Devices, out int total, out var positions);
            var ratio = Ratio is null ? null : BatchSplit.ParseRatio(Ratio, total);
            var options = new SchedulerOptions
            {
                Ratio = ratio is null ? null : positions.Select(p => ratio[p]).ToArray(),
                Reprobe = Reprobe,
                ProbeSeconds = ProbeSeconds,
                Conv = conv,
                Seed = solver.Param.RandomSeed >= 0 ? solver.Param.RandomSeed : 1,
                FcMode = FcParallel.ToLowerInvariant() switch
                {
                    "auto" => FcMode.Auto,
                    "data" => FcMode.Data,
                    "model" => FcMode.Model,
                    _ => throw new Core.OmnivoreException($"--fc-parallel '{FcParallel}': use auto, data or model"),
                },
            };
            try
            {
                return Scheduler.Attach(solver, devices, options);
            }
            catch
            {
                foreach (var d in devices) d.Device.Dispose();
                throw;
            }
        }
    }

    public Choice Read(ParseResult r) =>
        new(r.GetValue(Devices), r.GetValue(Ratio), r.GetValue(Reprobe), r.GetValue(ProbeSeconds), r.GetValue(FcParallel) ?? "auto");
}
