// PlotTests: `omnivore plot` reads training curves from Omnivore's and Caffe's log lines
// (train loss at displayed iterations, test outputs after "Testing net", times from the
// glog prefix, across midnight) and writes a PNG.
using Omnivore.Cli.Commands;
using Omnivore.Cli.Plotting;
using Omnivore.Core;

namespace Omnivore.Tests.Cli;

[TestFixture]
public class PlotTests
{
    private static readonly string[] Log =
    [
        "I1128 23:59:58.000000  4242 Solver.cs:130] Iteration 0, Testing net (#0)",
        "I1128 23:59:59.000000  4242 Solver.cs:155]     Test net output #0: accuracy = 0.0858",
        "I1128 23:59:59.500000  4242 Solver.cs:155]     Test net output #1: loss = 2.35511 (* 1 = 2.35511 loss)",
        "I1129 00:00:00.000000  4242 Solver.cs:85] Iteration 0 (0 iter/s, 2.1s/100 iters), loss = 2.34721",
        "I1129 00:00:01.000000  4242 Solver.cs:115]     Train net output #0: loss = 2.34721 (* 1 = 2.34721 loss)",
        "I1129 00:00:10.000000  1234 solver.cpp:218] Iteration 100, loss = 0.163992",   // Caffe's older form
        "I1129 00:00:12.000000  1234 solver.cpp:330] Iteration 100, Testing net (#0)",
        "I1129 00:00:13.000000  1234 solver.cpp:397]     Test net output #0: accuracy = 0.9759",
        "garbage line",
    ];

    [Test]
    public void ParsesTrainAndTestCurvesWithTimes()
    {
        var c = CaffeLogParser.Parse(Log);
        Assert.That(c.TrainLoss.Select(p => (p.Iter, p.Value)), Is.EqualTo(new[] { (0, 2.34721), (100, 0.163992) }));
        Assert.That(c.Test["accuracy"].Select(p => (p.Iter, p.Value)), Is.EqualTo(new[] { (0, 0.0858), (100, 0.9759) }));
        Assert.That(c.Test["loss"].Single().Value, Is.EqualTo(2.35511));
        Assert.That(c.TrainLoss[1].Seconds, Is.EqualTo(12.0).Within(1e-6), "seconds since the first line, across midnight");
    }

    [Test]
    public void WritesAPng()
    {
        var dir = Directory.CreateTempSubdirectory("omnivore-plot-").FullName;
        try
        {
            var log = Path.Combine(dir, "train.log");
            File.WriteAllLines(log, Log);
            var png = Path.Combine(dir, "curve.png");
            Assert.That(PlotCommand.Run(log, png, "iteration"), Is.Zero);
            var bytes = File.ReadAllBytes(png);
            Assert.That(bytes.Take(4), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));
            Assert.Throws<OmnivoreException>(() => PlotCommand.Run(log, png, "epochs"));
            File.WriteAllText(log, "nothing here\n");
            Assert.Throws<OmnivoreException>(() => PlotCommand.Run(log, png, "time"));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
