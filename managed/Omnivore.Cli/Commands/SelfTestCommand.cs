// SelfTestCommand: `omnivore selftest gpu` (hidden): the GPU-vs-CPU checks of
// Omnivore.Cli/SelfTest run from the program itself, for GPU machines without .NET (the
// NUnit GPU tests run the same checks). Prints one PASS/FAIL line per check with its
// largest error, then a summary line; exit code 1 when a check fails. --filter keeps the
// checks whose name contains the text.
using System.CommandLine;
using Omnivore.Cli.SelfTest;
using Omnivore.Core;
using Omnivore.Cuda;
using Omnivore.Native;

namespace Omnivore.Cli.Commands;

public static class SelfTestCommand
{
    public static Command Build()
    {
        var what = new Argument<string>("what") { Description = "gpu: compare every GPU kernel and layer with the CPU" };
        var gpu = new Option<int>("--gpu") { Description = "GPU id", DefaultValueFactory = _ => 0 };
        var filter = new Option<string?>("--filter") { Description = "only checks whose name contains this text" };
        var cmd = new Command("selftest", "Compare the GPU engine with the CPU (hidden)") { what, gpu, filter };
        cmd.Hidden = true;
        cmd.SetAction(r => Run(r.GetValue(what)!, r.GetValue(gpu), r.GetValue(filter), Console.Out));
        return cmd;
    }

    public static int Run(string what, int ordinal, string? filter, TextWriter o)
    {
        if (what != "gpu") throw new OmnivoreException($"selftest knows only 'gpu' (got '{what}')");
        using var cpu = CpuDevice.Create();
        CudaDevice gpu;
        try
        {
            gpu = CudaDevice.Create(ordinal, new CudaDeviceOptions { Tf32 = false });
        }
        catch (OmnivoreException e)
        {
            o.WriteLine($"SKIP selftest gpu: {e.Message}");
            return 2;
        }
        using (gpu)
        {
            o.WriteLine($"selftest gpu: {gpu.Name} against {cpu.Name}");
            o.WriteLine($"kernels: {gpu.KernelsDescription}");
            var results = RunAll(cpu, gpu, filter, r => o.WriteLine(r.ToString()));
            int failed = results.Count(r => !r.Pass);
            o.WriteLine($"selftest gpu: {results.Count - failed} passed, {failed} failed of {results.Count} checks");
            return failed == 0 ? 0 : 1;
        }
    }

    /// <summary>Every check (layers, kernels, random distributions), reporting each as it finishes.</summary>
    public static List<CheckResult> RunAll(IDevice cpu, CudaDevice gpu, string? filter, Action<CheckResult> report)
    {
        var results = new List<CheckResult>();
        void Add(string name, Func<CheckResult> check)
        {
            CheckResult r;
            try
            {
                r = check();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                r = new CheckResult(name, 0, 0, "", $"{e.GetType().Name}: {e.Message}");
            }
            results.Add(r);
            report(r);
        }
        bool Keep(string name) => filter is null || name.Contains(filter, StringComparison.OrdinalIgnoreCase);
        foreach (var c in GpuKernelChecks.Cases.Where(c => Keep(c.Name))) Add(c.Name, () => GpuKernelChecks.Run(c, cpu, gpu));
        if (Keep("random distributions")) Add("random distributions", () => GpuKernelChecks.RandomDistributions(gpu));
        foreach (var c in GpuLayerChecks.Cases.Where(c => Keep("layer " + c.Name))) Add("layer " + c.Name, () => GpuLayerChecks.Run(c, cpu, gpu));
        return results;
    }
}
