// Program: entry point of the `omnivore` console program. Builds the command tree and
// turns user errors (bad prototxt, missing files, shape mismatches, missing libraries)
// into one "omnivore: error: ..." line and exit code 1; OMNIVORE_DEBUG=1 adds the stack.
using System.CommandLine;
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Model;

namespace Omnivore.Cli;

public static class Program
{
    public static int Main(string[] args)
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
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        return Run(() => root.Parse(CaffeFlags.Normalize(args)).Invoke(config));
    }

    /// <summary>Runs a command body, mapping user errors to one line and exit code 1.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (UserError(e) is { } message)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"omnivore: error: {message}");
            if (Environment.GetEnvironmentVariable("OMNIVORE_DEBUG") == "1") Console.Error.WriteLine(e);
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
