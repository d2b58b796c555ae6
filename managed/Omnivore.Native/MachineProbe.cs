// MachineProbe: what this machine can do, to report achieved GFLOP/s as a share of it.
// Measures the register-only FMA peak (the widest vector instruction set the CPU has)
// and the sgemm peak (a square sgemm through the library's BLAS), each on 1 thread and
// on all threads, as medians of a few runs; results are cached per machine as JSON in
// ~/.cache/omnivore (XDG_CACHE_HOME or OMNIVORE_CACHE_DIR if set), keyed by host name,
// CPU model, logical CPUs and thread count. `omnivore probe --refresh` re-measures.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

/// <summary>One machine's measured peaks (GFLOP/s = 1e9 floating-point operations per second).</summary>
public sealed record MachinePeak(
    string Host, string CpuModel, int LogicalCpus, int PhysicalCores, int Threads, string Isa,
    double FmaGflops1, double FmaGflopsAll, int SgemmSize, double SgemmGflops1, double SgemmGflopsAll,
    string Blas, DateTime MeasuredUtc)
{
    /// <summary>How the figures were measured; cached figures of an older probe are measured
    /// again (2: the FMA loop's accumulators can no longer be merged by the compiler).</summary>
    public int ProbeVersion { get; init; }

    /// <summary>The median of the sgemm samples a benchmark run took beside its workloads (SgemmGflopsAll is
    /// then their largest); NaN when the figures come from the probe alone. Not cached.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double SgemmMedianInRun { get; init; } = double.NaN;

    public const int CurrentProbeVersion = 2;

    /// <summary>Per-core figures (the all-thread figure over the threads used).</summary>
    [System.Text.Json.Serialization.JsonIgnore] public double FmaGflopsPerThread => FmaGflopsAll / Math.Max(Threads, 1);
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(MachinePeak))]
internal sealed partial class MachinePeakJson : JsonSerializerContext;

public static unsafe class MachineProbe
{
    /// <summary>Overrides the cache folder (tests); null: OMNIVORE_CACHE_DIR, XDG_CACHE_HOME/omnivore or ~/.cache/omnivore.</summary>
    public static string? CacheDirectoryOverride { get; set; }

    public static string CacheDirectory
    {
        get
        {
            if (CacheDirectoryOverride is { } o) return o;
            if (Environment.GetEnvironmentVariable("OMNIVORE_CACHE_DIR") is { Length: > 0 } d) return d;
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x) return Path.Combine(x, "omnivore");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "omnivore");
        }
    }

    /// <summary>Names of the FMA-loop variants, by om_isa value.</summary>
    public static string IsaName(int isa) => isa switch { 1 => "SSE", 2 => "AVX2+FMA", 3 => "AVX-512F", _ => "best" };

    /// <summary>The CPU model from /proc/cpuinfo ("model name"), or a placeholder off Linux.</summary>
    public static string CpuModel() => CpuInfoField("model name") ?? CpuInfoField("Processor") ?? "unknown CPU";

    /// <summary>Physical cores from /proc/cpuinfo (cpu cores x distinct physical ids), or the logical count.</summary>
    public static int PhysicalCores()
    {
        try
        {
            var lines = File.ReadAllLines("/proc/cpuinfo");
            int perSocket = lines.Where(l => l.StartsWith("cpu cores", StringComparison.Ordinal))
                .Select(l => int.TryParse(l.Split(':')[1], out var v) ? v : 0).DefaultIfEmpty(0).Max();
            int sockets = lines.Where(l => l.StartsWith("physical id", StringComparison.Ordinal)).Distinct().Count();
            if (perSocket > 0) return perSocket * Math.Max(sockets, 1);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.ProcessorCount;
    }

    private static string? CpuInfoField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith(name, StringComparison.Ordinal) && line.IndexOf(':') is var i and > 0)
                    return line[(i + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>The cache file for this machine and thread count.</summary>
    public static string CachePath(int threads)
    {
        var key = $"{Environment.MachineName}|{CpuModel()}|{Environment.ProcessorCount}|{threads}";
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..12];
        return Path.Combine(CacheDirectory, $"machine-peak-{hash}.json");
    }

    /// <summary>The cached peaks for this machine, or null.</summary>
    public static MachinePeak? TryLoad(int threads)
    {
        var path = CachePath(threads);
        if (!File.Exists(path)) return null;
        try
        {
            var peak = JsonSerializer.Deserialize(File.ReadAllText(path), MachinePeakJson.Default.MachinePeak);
            return peak is { SgemmGflopsAll: > 0, FmaGflopsAll: > 0, ProbeVersion: MachinePeak.CurrentProbeVersion } ? peak : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void Save(MachinePeak peak)
    {
        var path = CachePath(peak.Threads);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(peak, MachinePeakJson.Default.MachinePeak));
        AtomicFile.Write(path, s => s.Write(json));
    }

    /// <summary>Cached peaks, or measures and caches them (refresh: always measure).</summary>
    public static MachinePeak GetOrMeasure(int threads, bool refresh = false, int sgemmSize = 2048, Action<string>? progress = null)
    {
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        if (!refresh && TryLoad(threads) is { } cached) return cached;
        var peak = Measure(threads, sgemmSize, progress: progress);
        Save(peak);
        return peak;
    }

    /// <summary>Measures the FMA and sgemm peaks on 1 and on `threads` threads.</summary>
    public static MachinePeak Measure(int threads, int sgemmSize = 2048, int reps = 5, double secondsPerRun = 0.15,
                                      Action<string>? progress = null)
    {
        using var device = CpuDevice.Create();   // loads the library and checks its ABI
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        int isa = om_peak_best_isa();
        progress?.Invoke($"FMA loop ({IsaName(isa)}), 1 thread");
        double fma1 = FmaGflops(isa, 1, reps, secondsPerRun);
        progress?.Invoke($"FMA loop ({IsaName(isa)}), {threads} threads");
        double fmaAll = FmaGflops(isa, threads, reps, secondsPerRun);
        progress?.Invoke($"sgemm {sgemmSize}^3, 1 thread");
        double gemm1 = SgemmGflops(1, sgemmSize, reps);
        progress?.Invoke($"sgemm {sgemmSize}^3, {threads} threads");
        double gemmAll = SgemmGflops(threads, sgemmSize, reps);
        return new MachinePeak(Environment.MachineName, CpuModel(), Environment.ProcessorCount, PhysicalCores(), threads,
            IsaName(isa), fma1, fmaAll, sgemmSize, gemm1, gemmAll, device.BlasInfo, DateTime.UtcNow)
        { ProbeVersion = MachinePeak.CurrentProbeVersion };
    }

    /// <summary>One run of the FMA loop: (FLOPs, seconds, checksum), for tests and calibration.</summary>
    public static (double Flops, double Seconds, double Checksum, int Isa) RunFma(int isa, int threads, long iters)
    {
        double flops, seconds, checksum;
        int used;
        Check(om_peak_fma(isa, threads, iters, &flops, &seconds, &checksum, &used), "om_peak_fma");
        return (flops, seconds, checksum, used);
    }

    /// <summary>Median GFLOP/s of `reps` FMA-loop runs of about secondsPerRun each.</summary>
    public static double FmaGflops(int isa, int threads, int reps, double secondsPerRun)
    {
        long iters = 1 << 16;
        // Calibrate: grow the run until it takes a measurable time, then scale to the target.
        while (true)
        {
            var (_, s, _, _) = RunFma(isa, threads, iters);
            if (s > 0.02 || iters > 1L << 40) { iters = Math.Max(1, (long)(iters * secondsPerRun / Math.Max(s, 1e-9))); break; }
            iters *= 4;
        }
        var rates = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            var (flops, s, _, _) = RunFma(isa, threads, iters);
            rates.Add(flops / s / 1e9);
        }
        return Stats.Median(rates);
    }

    /// <summary>GFLOP/s of a size^3 sgemm on `threads` threads (median of reps, after a warm-up).</summary>
    public static double SgemmGflops(int threads, int size, int reps) => SgemmGflops(threads, size, size, size, reps);

    public static double SgemmGflops(int threads, int m, int n, int k, int reps)
    {
        double seconds, flops;
        Check(om_peak_sgemm(threads, m, n, k, reps, &seconds, &flops), "om_peak_sgemm");
        return flops / seconds / 1e9;
    }

    /// <summary>Readable summary lines for `omnivore probe`.</summary>
    public static IEnumerable<string> Describe(MachinePeak p)
    {
        yield return $"CPU: {p.CpuModel}";
        yield return $"cores: {p.PhysicalCores} physical, {p.LogicalCpus} logical; measured with {p.Threads} threads";
        yield return $"BLAS: {p.Blas}";
        yield return $"FMA peak ({p.Isa}, register-only loop): {p.FmaGflops1:F1} GFLOP/s on 1 thread, {p.FmaGflopsAll:F1} GFLOP/s on {p.Threads} threads";
        yield return $"sgemm peak ({p.SgemmSize}^3): {p.SgemmGflops1:F1} GFLOP/s on 1 thread, {p.SgemmGflopsAll:F1} GFLOP/s on {p.Threads} threads " +
                     $"({100 * p.SgemmGflopsAll / p.FmaGflopsAll:F0}% of the FMA peak)";
        yield return $"measured {p.MeasuredUtc:yyyy-MM-dd HH:mm} UTC on {p.Host} (medians)";
    }
}
