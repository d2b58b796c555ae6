// CommandTreeTests: the `omnivore` command tree has no option spelled twice on one command
// (`time` once had two `--no-probe` options: the peak's and the conv engine's, and the
// second was silently ignored, so `time --no-probe` still probed the plans).
using System.CommandLine;
using Omnivore.Cli;

namespace Omnivore.Tests.Cli;

[TestFixture]
public class CommandTreeTests
{
    private static IEnumerable<Command> All(Command c) => new[] { c }.Concat(c.Subcommands.SelectMany(All));

    [Test]
    public void NoCommandHasTheSameOptionNameTwice()
    {
        var root = Program.BuildRoot();
        var recursive = root.Options.Where(o => o.Recursive).ToList();
        foreach (var cmd in All(root))
        {
            var names = cmd.Options.Concat(cmd == root ? [] : recursive)
                .SelectMany(o => new[] { o.Name }.Concat(o.Aliases)).ToList();
            var twice = names.GroupBy(n => n).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.That(twice, Is.Empty, $"`{cmd.Name}` has options spelled more than once");
        }
    }

    [Test]
    public void TimeSeparatesThePeakFromThePlanProbe()
    {
        var time = Program.BuildRoot().Subcommands.Single(c => c.Name == "time");
        var names = time.Options.Select(o => o.Name).ToList();
        Assert.That(names, Does.Contain("--no-peak"));
        Assert.That(names.Count(n => n == "--no-probe"), Is.EqualTo(1));
    }
}
