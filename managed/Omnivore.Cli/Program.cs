// Program: entry point of the `omnivore` console program. Builds the command tree and
// turns user errors (bad prototxt, missing files, shape mismatches, missing libraries)
// into one "omnivore: error: ..." line and exit code 1; --verbose (on every command) or
// OMNIVORE_DEBUG=1 adds the stack trace.
using System.CommandLine;
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Model;

namespace Omnivore.Cli;

public static class Program
{
    /// <summary>The global --verbose option: errors carry their stack trace.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "print the stack trace with an error (as OMNIVORE_DEBUG=1)",
        Recursive = true,
    };

    public static int Main(string[] args)
    {
        var root = BuildRoot();
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        var parsed = root.Parse(CaffeFlags.Normalize(args));
        return Run(() => parsed.Invoke(config), parsed.GetValue(Verbose));
    }

    /// <summary>The whole command tree.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("Omnivore: a Caffe-compatible trainer for CPUs and GPUs")
        {
            TrainCommand.Build(),
            TestCommand.Build(),
            TimeCommand.Build(),
            ConvertCommand.Build(),
            ComputeMeanCommand.Build(),
            DrawCommand.Build(),
            DeviceQueryCommand.Build(),
            PlotCommand.Build(),
            ProbeCommand.Build(),
            BenchCommand.Build(),
            SelfTestCommand.Build(),
        };
        root.Add(Verbose);
        return root;
    }

    /// <summary>Runs a command body, mapping user errors to one line and exit code 1 (with the stack when verbose).</summary>
    public static int Run(Func<int> body, bool verbose = false)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (UserError(e) is { } message)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"omnivore: error: {message}");
            if (verbose || Environment.GetEnvironmentVariable("OMNIVORE_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    private static string? UserError(Exception e) => e switch
    {
        PrototxtException p => p.Message,
        OmnivoreException o => o.Message,
        AggregateException { InnerExceptions.Count: 1 } a => UserError(a.InnerException!),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => UserError(inner),
        _ => null,
    };
}
