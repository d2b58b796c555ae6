// Program: runs the micro-benchmarks. Default: every benchmark with the short job of
// ShortConfig (in process, 1 launch, 2 warm-ups, 5 measured iterations; BenchmarkDotNet reports
// medians). BenchmarkDotNet's own arguments work, e.g. `--filter '*Batched*'`.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Omnivore.Bench.Micro;

public static class Program
{
    public static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Length == 0 ? ["--filter", "*"] : args);
}

/// <summary>A short job that runs in this process (the native library sits beside this assembly).</summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
            .WithInvocationCount(1).WithUnrollFactor(1).WithId("short"));
        AddColumn(StatisticColumn.Median, new GflopsColumn());
        SummaryStyle = SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend);
    }
}
