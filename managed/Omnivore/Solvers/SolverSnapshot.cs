// SolverSnapshot: Caffe's snapshot files. <prefix>_iter_<N>.caffemodel holds the net's
// parameters (a binary NetParameter) and <prefix>_iter_<N>.solverstate the iteration,
// learning-rate step and update history; both are written atomically. With
// snapshot_format: HDF5 the same contents go to .caffemodel.h5 / .solverstate.h5 in
// Caffe's HDF5 layout. Restoring reads either form and the weights the state names.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Solvers;

public abstract partial class Solver
{
    public string SnapshotFileName(string extension) => $"{Param.SnapshotPrefix}_iter_{Iter}{extension}";

    /// <summary>Writes the .caffemodel and .solverstate for the current iteration.</summary>
    public (string Model, string State) Snapshot()
    {
        if (!Param.HasSnapshotPrefix || Param.SnapshotPrefix.Length == 0)
            throw new OmnivoreException("solver: snapshot_prefix is required to snapshot");
        CleanStaleTemporaries();
        bool hdf5 = Param.SnapshotFormat == SolverParameter.Types.SnapshotFormat.Hdf5;
        var model = SnapshotFileName(hdf5 ? ".caffemodel.h5" : ".caffemodel");
        var netProto = Net.ToProto(Param.SnapshotDiff);
        var stateFile = SnapshotFileName(hdf5 ? ".solverstate.h5" : ".solverstate");
        var state = new SolverState { Iter = Iter, LearnedNet = model, CurrentStep = Policy.CurrentStep };
        state.History.AddRange(SaveHistory());
        SaveResumeState(state);
        if (hdf5)
        {
            Log.Info($"Snapshotting to HDF5 file {model}");
            Hdf5Snapshot.WriteModel(netProto, model);
            Log.Info($"Snapshotting solver state to HDF5 file {stateFile}");
            Hdf5Snapshot.WriteState(state, stateFile);
        }
        else
        {
            Log.Info($"Snapshotting to binary proto file {model}");
            AtomicFile.Write(model, s => netProto.WriteTo(s));
            Log.Info($"Snapshotting solver state to binary proto file {stateFile}");
            AtomicFile.Write(stateFile, s => s.Write(SealedBytes(state)));
        }
        return (model, stateFile);
    }

    /// <summary>Resumes from a .solverstate written by Caffe or Omnivore.</summary>
    public void Restore(string stateFile)
    {
        if (!File.Exists(stateFile)) throw new OmnivoreException($"solver state '{stateFile}' does not exist");
        SolverState state;
        try
        {
            state = Hdf5Snapshot.IsHdf5(stateFile) ? Hdf5Snapshot.ReadState(stateFile)
                  : ParseState(File.ReadAllBytes(stateFile), stateFile);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OmnivoreException($"'{stateFile}' is not a valid .solverstate (truncated or corrupt: {e.Message})", e);
        }
        Log.Info($"Restoring previous solver status from {stateFile}");
        Iter = state.Iter;
        Policy.CurrentStep = state.CurrentStep;
        if (state.HasLearnedNet && state.LearnedNet.Length > 0)
        {
            var learned = state.LearnedNet;
            if (!File.Exists(learned))
            {
                // Caffe stores the path as written; try it beside the state file too.
                var beside = Path.Combine(Path.GetDirectoryName(stateFile) ?? ".", Path.GetFileName(learned));
                if (File.Exists(beside)) learned = beside;
            }
            Net.CopyTrainedLayersFrom(learned);
        }
        RestoreHistory(state.History, stateFile);
        RestoreResumeState(state, stateFile);
    }

    protected abstract IEnumerable<BlobProto> SaveHistory();
    protected abstract void RestoreHistory(IReadOnlyList<BlobProto> history, string source);
}
