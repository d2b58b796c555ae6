// MemoryReport: one log line with the process's peak resident memory (VmHWM from
// /proc/self/status on Linux) and the convolution workspace against its budget.
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Cli.Commands;

public static class MemoryReport
{
    /// <summary>Peak resident set size in bytes, or -1 where the OS does not say.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is null) return -1;
            var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
            return long.Parse(kb) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    public static string Line(ConvEngine conv)
    {
        long peak = PeakResidentBytes();
        string peakText = peak < 0 ? "unknown" : $"{Fmt.G(peak / (double)(1 << 20))} MiB";
        return $"Peak resident memory: {peakText}; convolution workspace {Fmt.G(conv.WorkspaceBytes / (double)(1 << 20))} MiB " +
               $"(budget {Fmt.G(conv.Options.MemoryBudgetBytes / (double)(1 << 20))} MiB)";
    }
}
