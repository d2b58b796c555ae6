// SolverResume: what an exact resume needs beyond Caffe's .solverstate (iteration,
// learning-rate step, history): the run's random generator (dropout masks, device fill
// seeds), each data layer's next-batch position with its transformer's random state
// (crops, mirrors; test nets' too, so test scores continue alike), and the average_loss
// window. Written into the SolverState's
// Omnivore extension fields (1000+), which Caffe ignores; a state without them (written
// by Caffe, or HDF5) restores weights and history only, and says data order restarts.
// The binary state ends with a checksum of the bytes before it, so that a state cut short
// at a field boundary (which still parses) is refused rather than half restored.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;

namespace Omnivore.Solvers;

public abstract partial class Solver
{
    /// <summary>The run's generator (every layer of a run shares it through its context).</summary>
    private Rng? RunRng => Net.Layers.Count > 0 ? Net.Layers[0].Context.Rng : null;

    /// <summary>The state's bytes with the checksum field (the last one written) appended.</summary>
    internal static byte[] SealedBytes(SolverState state)
    {
        state.ClearOmnivoreChecksum();
        state.OmnivoreChecksum = Fnv1a(state.ToByteArray());
        return state.ToByteArray();
    }

    /// <summary>Parses a binary .solverstate, refusing one whose Omnivore checksum is missing or wrong.</summary>
    internal static SolverState ParseState(byte[] bytes, string file)
    {
        var state = SolverState.Parser.ParseFrom(bytes);
        const int checksumField = 10; // 2-byte tag of field 1003 + 8 bytes
        if (state.HasOmnivoreChecksum)
        {
            if (bytes.Length < checksumField || Fnv1a(bytes.AsSpan(0, bytes.Length - checksumField)) != state.OmnivoreChecksum)
                throw new OmnivoreException($"'{file}' is not a valid .solverstate (corrupt: its checksum does not match its contents)");
        }
        else if (state.OmnivoreRng is not null || state.OmnivoreData.Count > 0 || state.OmnivoreRecentLoss.Count > 0)
            throw new OmnivoreException($"'{file}' is not a valid .solverstate (truncated: it ends before its checksum)");
        return state;
    }

    private static ulong Fnv1a(ReadOnlySpan<byte> bytes)
    {
        ulong h = 14695981039346656037UL;
        foreach (var b in bytes) h = (h ^ b) * 1099511628211UL;
        return h;
    }

    private bool _temporariesCleaned;

    /// <summary>Once per run: removes snapshot temporaries that a killed earlier run left behind.</summary>
    private void CleanStaleTemporaries()
    {
        if (_temporariesCleaned) return;
        _temporariesCleaned = true;
        var full = Path.GetFullPath(Param.SnapshotPrefix);
        int n = AtomicFile.CleanStale(Path.GetDirectoryName(full)!, Path.GetFileName(full) + "_iter_");
        if (n > 0) Log.Info($"Removed {n} snapshot temporary file(s) left by an earlier run that was killed");
    }

    /// <summary>The data layers whose position is saved: the train net's by name, test net i's as "test{i}/name".</summary>
    private IEnumerable<(string Key, IResumableData Layer)> DataLayers()
    {
        foreach (var layer in Net.Layers.OfType<IResumableData>()) yield return (layer.Name, layer);
        for (int i = 0; i < TestNets.Count; i++)
            foreach (var layer in TestNets[i].Layers.OfType<IResumableData>()) yield return ($"test{i}/{layer.Name}", layer);
    }

    private void SaveResumeState(SolverState state)
    {
        if (RunRng is { } rng) state.OmnivoreRng = rng.Save();
        foreach (var (key, layer) in DataLayers())
            if (layer.SavePosition() is { } p)
            {
                p.Layer = key;
                state.OmnivoreData.Add(p);
            }
        state.OmnivoreRecentLoss.AddRange(_recentLosses);
    }

    private void RestoreResumeState(SolverState state, string stateFile)
    {
        var data = DataLayers().ToList();
        if (state.OmnivoreRng is null)
        {
            Log.Warning($"{stateFile} has no Omnivore resume state (written by Caffe, or HDF5): weights, history and " +
                        "iteration are restored; data order and random draws restart, so the run is not bit-identical");
            return;
        }
        RunRng?.Restore(state.OmnivoreRng);
        foreach (var (key, layer) in data)
        {
            var p = state.OmnivoreData.FirstOrDefault(d => d.Layer == key);
            if (p is null) Log.Warning($"{stateFile}: no saved position for data layer '{key}'; its data order restarts");
            else layer.RestorePosition(p);
        }
        foreach (var layer in Net.Layers.Where(l => l.Type is "HDF5Data"))
            Log.Warning($"data layer '{layer.Name}' ({layer.Type}) does not save its position; its data order restarts");
        _recentLosses.Clear();
        _lossSum = 0;
        foreach (var loss in state.OmnivoreRecentLoss)
        {
            _recentLosses.Enqueue(loss);
            _lossSum += loss;
        }
        if (_recentLosses.Count > 0) SmoothedLoss = (float)(_lossSum / _recentLosses.Count);
    }
}
