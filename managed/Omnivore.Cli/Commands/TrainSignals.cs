// TrainSignals: what a signal does to a training run, as Caffe's --sigint_effect and
// --sighup_effect: "stop" (finish the iteration, snapshot, exit), "snapshot" (snapshot
// after the iteration and train on) or "none". Defaults as Caffe: SIGINT stops, SIGHUP
// snapshots. SIGTERM (what batch schedulers send before killing) acts like SIGINT. A
// second stop signal while stopping ends the process at once; snapshots are atomic, so
// nothing on disk is left half written.
using System.Runtime.InteropServices;
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Cli.Commands;

public enum SignalEffect { Stop, Snapshot, None }

public static class TrainSignals
{
    public static SignalEffect Parse(string value, string option) => value.ToLowerInvariant() switch
    {
        "stop" => SignalEffect.Stop,
        "snapshot" => SignalEffect.Snapshot,
        "none" => SignalEffect.None,
        _ => throw new OmnivoreException($"{option} must be stop, snapshot or none (not '{value}')"),
    };

    /// <summary>What the signal did (for tests): true when the process should go on.</summary>
    public static bool Apply(Solver solver, SignalEffect effect, string signal)
    {
        switch (effect)
        {
            case SignalEffect.None:
                Log.Info($"{signal} received: ignored (effect none)");
                return true;
            case SignalEffect.Snapshot:
                Log.Info($"{signal} received: snapshotting after this iteration");
                solver.RequestSnapshot();
                return true;
            default:
                if (solver.StopRequested) return false; // a second stop: end at once
                Log.Warning($"{signal} received: stopping after this iteration (a snapshot is written; send it again to quit at once)");
                solver.RequestStop();
                return true;
        }
    }

    public static IDisposable Register(Solver solver, SignalEffect sigint, SignalEffect sighup)
    {
        PosixSignalRegistration On(PosixSignal s, SignalEffect e, string name) =>
            PosixSignalRegistration.Create(s, ctx => ctx.Cancel = Apply(solver, e, name));
        return new Registrations([
            On(PosixSignal.SIGINT, sigint, "SIGINT"),
            On(PosixSignal.SIGTERM, sigint, "SIGTERM"),
            On(PosixSignal.SIGHUP, sighup, "SIGHUP"),
        ]);
    }

    private sealed class Registrations(IEnumerable<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var i in items) i.Dispose();
        }
    }
}
