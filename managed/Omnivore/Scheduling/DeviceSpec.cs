// DeviceSpec: the scheduler's device list as given on the command line,
//     --devices cpu:threads=1,cpu:threads=1:slowdown=2,gpu:id=0
// one entry per replica, comma-separated; an entry is a kind (cpu, gpu) and optional
// key=value settings separated by ':'. cpu: threads (default: the cores divided among
// the CPU entries), slowdown (>= 1; test/operator option: after each forward+backward
// the replica sleeps (slowdown - 1) x its compute time, a stand-in for a slower device),
// granularity (images the device handles at once; default = threads, its partitions).
// gpu: id (default: its position among the gpu entries). ReplicaDevice is an opened
// device with the settings the scheduler uses.
using System.Globalization;
using Omnivore.Core;

namespace Omnivore.Scheduling;

public sealed record DeviceSpec(string Kind, int Id, int Threads, double Slowdown, int Granularity, string Text)
{
    public string Label => Kind == "gpu" ? $"gpu{Id}" : $"cpu{Id}";

    public static IReadOnlyList<DeviceSpec> ParseList(string text, int cores)
    {
        var entries = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length == 0) throw new OmnivoreException($"--devices '{text}' names no device (e.g. cpu:threads=1,cpu:threads=1)");
        int cpus = entries.Count(e => e.Split(':')[0].Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase));
        int defaultThreads = Math.Max(1, cores / Math.Max(1, cpus));
        var list = new List<DeviceSpec>();
        int cpuIndex = 0, gpuIndex = 0;
        foreach (var entry in entries)
        {
            var parts = entry.Split(':', StringSplitOptions.TrimEntries);
            var kind = parts[0].ToLowerInvariant();
            if (kind is not ("cpu" or "gpu"))
                throw new OmnivoreException($"--devices: unknown device kind '{parts[0]}' in '{entry}' (known: cpu, gpu)");
            int threads = defaultThreads, id = kind == "cpu" ? cpuIndex++ : gpuIndex++;
            int? granularity = null;
            double slowdown = 1;
            foreach (var kv in parts.Skip(1))
            {
                var pair = kv.Split('=', 2, StringSplitOptions.TrimEntries);
                if (pair.Length != 2) throw new OmnivoreException($"--devices: '{kv}' in '{entry}' is not key=value");
                switch (kind, pair[0].ToLowerInvariant())
                {
                    case ("cpu", "threads"): threads = Int(pair[1], entry, 1); break;
                    case ("cpu", "granularity"): granularity = Int(pair[1], entry, 1); break;
                    case (_, "slowdown"):
                        if (!double.TryParse(pair[1], NumberStyles.Float, CultureInfo.InvariantCulture, out slowdown) || !(slowdown >= 1) || !double.IsFinite(slowdown))
                            throw new OmnivoreException($"--devices: slowdown in '{entry}' must be a number >= 1 (got '{pair[1]}')");
                        break;
                    case ("gpu", "id"): id = Int(pair[1], entry, 0); break;
                    default:
                        throw new OmnivoreException($"--devices: unknown setting '{pair[0]}' for {kind} in '{entry}' " +
                                                    $"(cpu: threads, slowdown, granularity; gpu: id, slowdown)");
                }
            }
            list.Add(new DeviceSpec(kind, id, kind == "cpu" ? threads : 1, slowdown, granularity ?? (kind == "cpu" ? threads : 1), entry));
        }
        return list;
    }

    private static int Int(string value, string entry, int min) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new OmnivoreException($"--devices: '{value}' in '{entry}' must be an integer >= {min}");
}

/// <summary>An opened replica device and the settings the scheduler applies to it.</summary>
public sealed record ReplicaDevice(IDevice Device, string Label, double Slowdown = 1, int Granularity = 1,
                                   long MaxImages = long.MaxValue, string Spec = "")
{
    public string Describe() => $"{Label} [{Device.Name}{(Slowdown > 1 ? $", slowdown {Slowdown}" : "")}]";
}
