// VerboseTests: the global --verbose option, accepted by every command (before or after
// the command name), adds the stack trace under the one-line error; without it (and
// without OMNIVORE_DEBUG=1) the error stays one line; OMNIVORE_DEBUG=1 still works.
using Omnivore.Core;

using Omnivore.Tests.Support;

namespace Omnivore.Tests.Cli;

[TestFixture]
[NonParallelizable]
public class VerboseTests
{
    private static (int Code, string[] Lines) Run(params string[] args)
    {
        var (code, error) = CliInProcess.Run(args);
        return (code, error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static readonly string Missing = Path.Combine(Path.GetTempPath(), "omnivore-no-such-file.prototxt");

    [TestCase("train --solver")]
    [TestCase("test --weights w.caffemodel --model")]
    [TestCase("time --model")]
    [TestCase("draw --model")]
    [TestCase("compute-mean")]
    public void VerboseAddsTheStackTraceOnEveryCommand(string commandLine)
    {
        var words = commandLine.Split(' ').Append(Missing).ToArray();
        var quiet = Run(words);
        Assert.That(quiet.Code, Is.EqualTo(1));
        Assert.That(quiet.Lines, Has.Length.EqualTo(1), string.Join("\n", quiet.Lines));
        Assert.That(quiet.Lines[0], Does.StartWith("omnivore: error: ").And.Contain(Missing));

        foreach (var args in new[] { words.Append("--verbose").ToArray(), ["--verbose", .. words] })
        {
            var loud = Run(args);
            Assert.That(loud.Code, Is.EqualTo(1));
            Assert.That(loud.Lines[0], Is.EqualTo(quiet.Lines[0]), "the same error line first");
            Assert.That(loud.Lines.Skip(1).Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)), Is.True,
                string.Join("\n", loud.Lines));
        }
    }

    [Test]
    public void OmnivoreDebugStillAddsTheStackTrace()
    {
        var old = Environment.GetEnvironmentVariable("OMNIVORE_DEBUG");
        Environment.SetEnvironmentVariable("OMNIVORE_DEBUG", "1");
        try
        {
            var r = Run("train", "--solver", Missing);
            Assert.That(r.Code, Is.EqualTo(1));
            Assert.That(r.Lines.Length, Is.GreaterThan(1));
            Assert.That(r.Lines.Any(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal)), Is.True);
        }
        finally
        {
            Environment.SetEnvironmentVariable("OMNIVORE_DEBUG", old);
        }
    }
}
