// ProgressMode: the one decision whether `omnivore train` draws a live progress line.
// Only when standard error is a terminal that takes escape codes; never in a pipe, a file,
// CI or an HPC batch job (those get only the plain Caffe log lines, which parsers read).
namespace Omnivore.Cli.Progress;

public static class ProgressMode
{
    /// <param name="errorRedirected">Console.IsErrorRedirected: stderr is a pipe or file, not a terminal.</param>
    /// <param name="env">reads an environment variable (TERM, CI, OMNIVORE_PROGRESS).</param>
    public static bool Live(bool errorRedirected, Func<string, string?> env)
    {
        if (errorRedirected) return false;
        if (env("OMNIVORE_PROGRESS") is "0" or "false" or "off") return false;
        if (env("TERM") is null or "" or "dumb") return false;
        if (env("CI") is { Length: > 0 } ci && ci != "0" && ci != "false") return false;
        return true;
    }

    /// <summary>The decision for this process.</summary>
    public static bool LiveHere() => Live(Console.IsErrorRedirected, Environment.GetEnvironmentVariable);
}
