// CurvePlot: renders TrainingCurves to a PNG with ScottPlot: training loss and test
// losses on the left axis, test accuracies (outputs in [0, 1] not named loss) on the right.
#if OMNIVORE_PLOT
using ScottPlot;

namespace Omnivore.Cli.Plotting;

public static class CurvePlot
{
    public static void Save(TrainingCurves curves, string path, bool byTime, string title)
    {
        var plt = new Plot();
        double X(CurvePoint p) => byTime ? p.Seconds : p.Iter;
        if (curves.TrainLoss.Count > 0)
        {
            var s = plt.Add.Scatter(curves.TrainLoss.Select(X).ToArray(), curves.TrainLoss.Select(p => p.Value).ToArray());
            s.LegendText = "train loss";
            s.MarkerSize = 0;
        }
        bool right = false;
        foreach (var (name, points) in curves.Test)
        {
            var s = plt.Add.Scatter(points.Select(X).ToArray(), points.Select(p => p.Value).ToArray());
            s.LegendText = $"test {name}";
            if (!name.Contains("loss", StringComparison.OrdinalIgnoreCase) && points.All(p => p.Value is >= 0 and <= 1))
            {
                s.Axes.YAxis = plt.Axes.Right;
                right = true;
            }
        }
        plt.Title(title);
        plt.XLabel(byTime ? "seconds" : "iteration");
        plt.YLabel("loss");
        if (right) plt.Axes.Right.Label.Text = "accuracy";
        plt.ShowLegend(Alignment.MiddleRight);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir)) throw new Core.OmnivoreException($"cannot write '{path}': no directory '{dir}'");
        var png = plt.GetImageBytes(1000, 600, ImageFormat.Png);
        Core.AtomicFile.Write(path, s => s.Write(png));
    }
}
#endif
