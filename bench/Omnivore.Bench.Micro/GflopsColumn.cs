// GflopsColumn: achieved GFLOP/s of a LoweringGemmBenchmarks case (layer FLOPs / median time).
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Omnivore.Bench.Micro;

public sealed class GflopsColumn : IColumn
{
    public string Id => "GFLOP/s";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "FLOPs of the layer's forward pass over the batch / median time";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "-";
        if (benchmarkCase.Parameters["Shape"] is not ConvShape shape) return "-";
        double flops = 2.0 * LoweringGemmBenchmarks.Batch * shape.Cout * shape.Window.ConvOutH * shape.Window.ConvOutW
                       * (shape.C / shape.Group) * shape.K * shape.K;
        return (flops / (stats.Median / 1e9) / 1e9).ToString("F1");
    }
}
