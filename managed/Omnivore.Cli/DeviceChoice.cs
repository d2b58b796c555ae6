// DeviceChoice: picks the device for a command. The CPU by default; a GPU when asked
// (`--gpu 0` / Caffe's `-gpu 0`, `solver_mode: GPU` with its device_id, or a device name
// "gpu0" for the scheduler's --devices) and one can be opened; otherwise one warning line
// saying why, and the CPU. OMNIVORE_TF32=1 turns on cuBLAS's TF32 tensor-op math (off by
// default: it rounds sgemm inputs to a 10-bit mantissa).
using Omnivore.Core;
using Omnivore.Cuda;
using Omnivore.Native;

namespace Omnivore.Cli;

public static class DeviceChoice
{
    /// <summary>The CPU, with a warning when a GPU was requested (kept for commands without --gpu).</summary>
    public static IDevice Open(bool gpuRequested, int threads, string why) =>
        Open(gpuRequested ? "0" : null, false, threads, why);

    /// <summary>gpu: Caffe's -gpu value ("0", "1", "0,1", "all") or null; solverModeGpu: the
    /// solver asks for a GPU (solver_mode: GPU) with device_id solverDeviceId.</summary>
    public static IDevice Open(string? gpu, bool solverModeGpu, int threads, string why, int solverDeviceId = 0)
    {
        int? ordinal = null;
        if (gpu is not null) ordinal = FirstOrdinal(gpu);
        else if (solverModeGpu) ordinal = solverDeviceId;
        if (ordinal is int o && TryGpu(o, why) is { } device) return device;
        var cpu = CpuDevice.Create(threads);
        Log.Info($"Using {cpu.Name}");
        return cpu;
    }

    /// <summary>A device by name: "cpu", "gpu" or "gpuN" (the scheduler's --devices entries).</summary>
    public static IDevice OpenNamed(string name, int threads)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return Open(null, false, threads, name);
        if (n.StartsWith("gpu", StringComparison.Ordinal) && (n.Length == 3 || int.TryParse(n[3..], out _)))
            return Open(n.Length == 3 ? "0" : n[3..], false, threads, name);
        throw new OmnivoreException($"unknown device '{name}' (use cpu, gpu0, gpu1, ...)");
    }

    /// <summary>Whether OMNIVORE_TF32 asks for TF32 tensor-op math in cuBLAS.</summary>
    public static bool Tf32FromEnvironment() =>
        Environment.GetEnvironmentVariable("OMNIVORE_TF32") is { } v && (v == "1" || v.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static int FirstOrdinal(string gpu)
    {
        var first = gpu.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "0";
        if (first.Equals("all", StringComparison.OrdinalIgnoreCase)) first = "0";
        if (!int.TryParse(first, out int o) || o < 0) throw new OmnivoreException($"--gpu '{gpu}' is not a GPU id (use 0, 1, ... or all)");
        if (gpu.Contains(',') || gpu.Equals("all", StringComparison.OrdinalIgnoreCase))
            Log.Warning($"--gpu {gpu}: this command runs on one GPU; using gpu{o}");
        return o;
    }

    private static IDevice? TryGpu(int ordinal, string why)
    {
        try
        {
            var gpu = CudaDevice.Create(ordinal, new CudaDeviceOptions { Tf32 = Tf32FromEnvironment() });
            Log.Info($"Using {gpu.Name}");
            Log.Info($"GPU kernels: {gpu.KernelsDescription}");
            return gpu;
        }
        catch (OmnivoreException e)
        {
            Log.Warning($"{why} asks for gpu{ordinal}, but it cannot be used ({e.Message}); running on the CPU");
            return null;
        }
    }
}
