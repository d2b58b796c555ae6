// TrainCommand: `omnivore train --solver S [--weights W | --snapshot S]`, as `caffe train`.
// Ctrl-C or SIGTERM snapshots at the end of the current iteration and exits.
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
        var conv = new ConvEngineCli();
        var cmd = new Command("train", "Train a net from a Caffe solver.prototxt") { solver, weights, snapshot, threads, gpu };
        conv.AddTo(cmd);
        cmd.SetAction(r => Run(r.GetValue(solver)!, r.GetValue(weights), r.GetValue(snapshot), r.GetValue(threads), r.GetValue(gpu),
            conv.Read(r)));
        return cmd;
    }

    public static int Run(string solverPath, string? weights, string? snapshot, int threads, string? gpu,
                          ConvEngineOptions? convOptions = null)
    {
        if (weights is not null && snapshot is not null)
            throw new OmnivoreException("give --weights or --snapshot, not both (as in Caffe)");
        var param = SolverFactory.Load(solverPath);
        bool wantsGpu = gpu is not null || param.SolverMode == SolverParameter.Types.SolverMode.Gpu;
        using var device = DeviceChoice.Open(wantsGpu, threads, gpu is not null ? "--gpu" : $"{solverPath} (solver_mode: GPU)");
        using var conv = new ConvEngine(device, convOptions ?? ConvEngineOptions.Probing);
        using var solver = SolverFactory.Create(param, device, solverPath, conv);
        if (snapshot is not null) solver.Restore(snapshot);
        if (weights is not null)
            foreach (var w in weights.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                Log.Info($"Finetuning from {w}");
                solver.Net.CopyTrainedLayersFrom(w);
            }
        using var stop = StopSignals(solver);
        solver.Solve();
        Log.Info(MemoryReport.Line(conv));
        return 0;
    }

    private sealed class Registrations(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var i in items) i.Dispose();
        }
    }

    private static IDisposable StopSignals(Solver solver)
    {
        void Handle(PosixSignalContext ctx)
        {
            if (solver.StopRequested) return; // a second signal ends the process
            ctx.Cancel = true;
            Log.Warning($"{ctx.Signal} received: snapshotting after this iteration, then stopping");
            solver.RequestStop();
        }
        return new Registrations([
            PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle),
        ]);
    }
}
