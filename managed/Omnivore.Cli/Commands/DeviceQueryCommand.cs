// DeviceQueryCommand: `omnivore device_query` lists the devices Omnivore can use: the CPU
// (model, cores, BLAS) and every NVIDIA GPU (name, memory, compute capability,
// multiprocessors, driver version), or the reason there is none (library missing vs no
// device), and whether NVRTC and cuBLAS load.
using System.CommandLine;
using Omnivore.Cuda;
using Omnivore.Native;

namespace Omnivore.Cli.Commands;

public static class DeviceQueryCommand
{
    public static Command Build()
    {
        var cmd = new Command("device_query", "List the CPU and GPUs Omnivore can use");
        cmd.Aliases.Add("device-query");
        cmd.SetAction(_ => Run(Console.Out));
        return cmd;
    }

    public static int Run(TextWriter o)
    {
        using (var cpu = CpuDevice.Create())
            o.WriteLine($"cpu: {CpuModel()}, {Environment.ProcessorCount} logical cores, {cpu.BlasInfo}");
        var gpus = GpuInventory.Query();
        if (gpus.Devices.Count == 0) o.WriteLine($"gpu: none ({gpus.NoDeviceReason})");
        foreach (var g in gpus.Devices)
            o.WriteLine($"gpu{g.Ordinal}: {g.Name}, {g.MemoryBytes / (1L << 20)} MiB, compute capability {g.ComputeCapability}, " +
                        $"{g.Multiprocessors} multiprocessors at {g.ClockKHz / 1000} MHz, driver {gpus.DriverVersion}");
        if (gpus.DriverLibrary is not null)
        {
            o.WriteLine($"cuda driver: {gpus.DriverLibrary}");
            o.WriteLine($"nvrtc: {gpus.NvrtcLibrary ?? "missing: " + gpus.NvrtcMissing}");
            o.WriteLine($"cublas: {gpus.CublasLibrary ?? "missing: " + gpus.CublasMissing}");
        }
        return 0;
    }

    /// <summary>The "model name" line of /proc/cpuinfo, or the architecture when unavailable.</summary>
    public static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}
