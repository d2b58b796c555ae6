// CliInProcess: runs the `omnivore` command line inside the test process (Program.Main) with
// standard error captured and the log silenced, for tests of exit codes and error lines.
using Omnivore.Core;

namespace Omnivore.Tests.Support;

public static class CliInProcess
{
    /// <summary>Exit code and everything written to standard error.</summary>
    public static (int Code, string Error) Run(params string[] args)
    {
        var err = new StringWriter();
        var oldErr = Console.Error;
        var oldLog = Log.Writer;
        Console.SetError(err);
        Log.Writer = TextWriter.Null;
        try
        {
            return (Omnivore.Cli.Program.Main(args), err.ToString());
        }
        finally
        {
            Console.SetError(oldErr);
            Log.Writer = oldLog;
        }
    }
}
