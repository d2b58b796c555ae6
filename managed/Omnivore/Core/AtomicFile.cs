// AtomicFile: writes a file completely or not at all: the bytes go to a temporary file
// beside the target, are flushed to disk, and the temporary file is renamed over the
// target. A crash or Ctrl-C never leaves a half-written snapshot. A process killed
// (SIGKILL) while writing leaves only its temporary file (".<name>.<pid>.tmp"), which
// readers ignore and CleanStale removes once that process is gone.
namespace Omnivore.Core;

public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
            throw new OmnivoreException($"cannot write '{path}': directory '{dir}' does not exist");
        var tmp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new OmnivoreException($"cannot write '{path}': {e.Message}", e);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Removes temporaries left in dir by killed writers of files whose names start with namePrefix.</summary>
    public static int CleanStale(string dir, string namePrefix)
    {
        if (!Directory.Exists(dir)) return 0;
        int removed = 0;
        foreach (var file in Directory.EnumerateFiles(dir, $".{namePrefix}*.tmp"))
        {
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 4 || !int.TryParse(parts[^2], out int pid) || pid == Environment.ProcessId || Alive(pid)) continue;
            TryDelete(file);
            removed++;
        }
        return removed;
    }

    private static bool Alive(int pid)
    {
        if (OperatingSystem.IsLinux()) return Directory.Exists($"/proc/{pid}");
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
