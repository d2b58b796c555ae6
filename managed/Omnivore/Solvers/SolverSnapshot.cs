// SolverSnapshot: Caffe's snapshot files. <prefix>_iter_<N>.caffemodel holds the net's
// parameters (a binary NetParameter) and <prefix>_iter_<N>.solverstate the iteration,
// learning-rate step and update history; both are written atomically. Restoring reads
// the state and the weights it names.
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
        if (Param.SnapshotFormat == SolverParameter.Types.SnapshotFormat.Hdf5)
            throw new OmnivoreException("snapshot_format: HDF5 is not supported; use BINARYPROTO");
        if (!Param.HasSnapshotPrefix || Param.SnapshotPrefix.Length == 0)
            throw new OmnivoreException("solver: snapshot_prefix is required to snapshot");
        var model = SnapshotFileName(".caffemodel");
        Log.Info($"Snapshotting to binary proto file {model}");
        var netProto = Net.ToProto(Param.SnapshotDiff);
        AtomicFile.Write(model, s => netProto.WriteTo(s));
        var stateFile = SnapshotFileName(".solverstate");
        Log.Info($"Snapshotting solver state to binary proto file {stateFile}");
        var state = new SolverState { Iter = Iter, LearnedNet = model, CurrentStep = Policy.CurrentStep };
        state.History.AddRange(SaveHistory());
        AtomicFile.Write(stateFile, s => state.WriteTo(s));
        return (model, stateFile);
    }

    /// <summary>Resumes from a .solverstate written by Caffe or Omnivore.</summary>
    public void Restore(string stateFile)
    {
        if (!File.Exists(stateFile)) throw new OmnivoreException($"solver state '{stateFile}' does not exist");
        SolverState state;
        try
        {
            state = SolverState.Parser.ParseFrom(File.ReadAllBytes(stateFile));
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
    }

    protected abstract IEnumerable<BlobProto> SaveHistory();
    protected abstract void RestoreHistory(IReadOnlyList<BlobProto> history, string source);
}
