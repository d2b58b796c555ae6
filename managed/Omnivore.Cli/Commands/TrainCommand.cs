// TrainCommand: `omnivore train --solver S [--weights W | --snapshot S]`, as `caffe train`.
// Signals act as Caffe's --sigint_effect / --sighup_effect (see TrainSignals): by default
// Ctrl-C or SIGTERM snapshots at the end of the current iteration and exits. On a
// terminal a live progress line sits under the log (Progress/LiveProgress.cs).
using System.CommandLine;
using System.Runtime.InteropServices;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public static class TrainCommand
{
    public static Command Build()
    {
        var solver = new Option<string>("--solver") { Description = "the solver.prototxt", Required = true };
        var weights = new Option<string?>("--weights") { Description = "initial weights: one or more .caffemodel, comma-separated" };
        var snapshot = new Option<string?>("--snapshot") { Description = "a .solverstate to resume from" };
        var threads = CommonOptions.Threads();
        var gpu = CommonOptions.Gpu();
        var sigint = new Option<string>("--sigint-effect", "--sigint_effect") { Description = "on SIGINT/SIGTERM: stop, snapshot or none", DefaultValueFactory = _ => "stop" };
        var sighup = new Option<string>("--sighup-effect", "--sighup_effect") { Description = "on SIGHUP: stop, snapshot or none", DefaultValueFactory = _ => "snapshot" };
        var conv = new ConvEngineCli();
        var devices = new SchedulerCli();
        var cmd = new Command("train", "Train a net from a Caffe solver.prototxt") { solver, weights, snapshot, threads, gpu, sigint, sighup };
        conv.AddTo(cmd);
        devices.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(solver)!, r.GetValue(weights), r.GetValue(snapshot), r.GetValue(threads), r.GetValue(gpu),
            conv.Read(r), TrainSignals.Parse(r.GetValue(sigint)!, "--sigint_effect"), TrainSignals.Parse(r.GetValue(sighup)!, "--sighup_effect"),
            devices.Read(r)));
        return cmd;
    }

    public static int Run(string solverPath, string? weights, string? snapshot, int threads, string? gpu,
                          ConvEngineOptions? convOptions = null, SignalEffect sigint = SignalEffect.Stop,
                          SignalEffect sighup = SignalEffect.Snapshot, SchedulerCli.Choice? devices = null)
    {
        if (weights is not null && snapshot is not null)
            throw new OmnivoreException("give --weights or --snapshot, not both (as in Caffe)");
        var param = SolverFactory.Load(solverPath);
        using var device = DeviceChoice.Open(gpu, param.SolverMode == SolverParameter.Types.SolverMode.Gpu, threads,
            gpu is not null ? "--gpu" : $"{solverPath} (solver_mode: GPU)", param.DeviceId);
        using var conv = new ConvEngine(device, convOptions ?? ConvEngineOptions.Probing);
        using var solver = SolverFactory.Create(param, device, solverPath, conv);
        if (snapshot is not null) solver.Restore(snapshot);
        if (weights is not null)
            foreach (var w in weights.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Log.Info($"Finetuning from {w}");
                solver.Net.CopyTrainedLayersFrom(w);
            }
        using var scheduler = devices?.Attach(solver, convOptions ?? ConvEngineOptions.Probing); // --devices: the batch split over replicas
        using var signals = TrainSignals.Register(solver, sigint, sighup);
        using var record = RunRecord.DefaultPath(solver) is { } recordPath ? new RunRecord(solver, recordPath) : null;
        if (record is not null) Log.Info($"Run record: {record.Path}");
        using var progress = Progress.LiveProgress.Attach(solver, Progress.ProgressText.DeviceLabel(device.Name), Progress.ProgressMode.LiveHere(), Console.Error);
        solver.Solve();
        if (scheduler is not null) Log.Info(scheduler.Parallel.Summary());
        Log.Info(MemoryReport.Line(conv));
        return 0;
    }
}
