// RunRecord: a machine-readable record of a training run, one JSON object per line,
// written beside the snapshots (<snapshot_prefix>_run.jsonl) as the run goes: every
// displayed iteration (iteration, smoothed loss, learning rate, images/s) and every test
// pass (iteration, net, outputs). A resumed run appends to the same file. Each line is
// flushed, so a crash loses at most the line being written.
using System.Text.Json;
using Omnivore.Core;

namespace Omnivore.Solvers;

public sealed class RunRecord : IDisposable
{
    private readonly StreamWriter _out;
    private readonly Solver _solver;

    public RunRecord(Solver solver, string path)
    {
        _solver = solver;
        Path = path;
        try
        {
            _out = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OmnivoreException($"cannot write the run record '{path}': {e.Message}", e);
        }
        solver.Displayed += OnDisplayed;
        solver.Tested += OnTested;
    }

    public string Path { get; }

    /// <summary>The record's default place: beside the snapshots.</summary>
    public static string? DefaultPath(Solver solver) =>
        solver.Param.HasSnapshotPrefix && solver.Param.SnapshotPrefix.Length > 0 ? solver.Param.SnapshotPrefix + "_run.jsonl" : null;

    private void OnDisplayed(TrainProgress p) => Write(w =>
    {
        w.WriteString("event", "train");
        w.WriteNumber("iter", p.Iter);
        w.WriteNumber("loss", p.Loss);
        w.WriteNumber("lr", p.Lr);
        w.WriteNumber("images_per_s", Math.Round(p.ImagesPerSecond, 2));
    });

    private void OnTested(int iter)
    {
        foreach (var net in _solver.LastTestScores.GroupBy(s => s.Net))
            Write(w =>
            {
                w.WriteString("event", "test");
                w.WriteNumber("iter", iter);
                w.WriteNumber("net", net.Key);
                w.WriteStartObject("outputs");
                foreach (var (_, name, value) in net) w.WriteNumber(name, value);
                w.WriteEndObject();
            });
    }

    private void Write(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTime.UtcNow.ToString("O"));
            body(w);
            w.WriteEndObject();
        }
        _out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    public void Dispose()
    {
        _solver.Displayed -= OnDisplayed;
        _solver.Tested -= OnTested;
        _out.Dispose();
    }
}
