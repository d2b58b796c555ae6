// Log: Caffe-format log lines ("I1128 08:24:11.123456  4242 Solver.cs:120] message") on
// standard error, so that tools written for Caffe's logs (parse_log.py, plot scripts)
// read Omnivore's logs unchanged.
using System.Runtime.CompilerServices;

namespace Omnivore.Core;

public static class Log
{
    private static readonly object Gate = new();
    private static readonly int Pid = Environment.ProcessId;

    /// <summary>Where log lines go; standard error by default, as in Caffe.</summary>
    public static TextWriter Writer { get; set; } = Console.Error;

    /// <summary>When false, Info lines are dropped (warnings and errors still appear).</summary>
    public static bool Verbose { get; set; } = true;

    public static void Info(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        if (Verbose) Write('I', message, file, line);
    }

    public static void Warning(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Write('W', message, file, line);

    public static void Error(string message, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
        => Write('E', message, file, line);

    public static string Format(char level, DateTime now, string message, string file, int line)
    {
        var name = Path.GetFileName(file.Replace('\\', '/'));
        return $"{level}{now:MMdd HH:mm:ss.ffffff} {Pid,5} {name}:{line}] {message}";
    }

    private static void Write(char level, string message, string file, int line)
    {
        var text = Format(level, DateTime.Now, message, file, line);
        lock (Gate)
        {
            Writer.WriteLine(text);
            Writer.Flush();
        }
    }
}
