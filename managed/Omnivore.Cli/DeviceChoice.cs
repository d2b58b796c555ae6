// DeviceChoice: picks the device for a command. This build trains on the CPU; a request
// for a GPU (solver_mode: GPU, or --gpu) falls back to the CPU with one warning line.
using Omnivore.Core;
using Omnivore.Native;

namespace Omnivore.Cli;

public static class DeviceChoice
{
    public static IDevice Open(bool gpuRequested, int threads, string why)
    {
        if (gpuRequested)
            Log.Warning($"{why} asks for a GPU, but this build has no GPU engine yet; running on the CPU");
        var device = CpuDevice.Create(threads);
        Log.Info($"Using {device.Name}");
        return device;
    }
}
