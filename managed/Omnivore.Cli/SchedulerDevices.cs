// SchedulerDevices: opens the replica devices named by --devices (DeviceSpec syntax).
// A CPU entry becomes a CPU worker device with its own thread count; a GPU entry opens that
// GPU (CudaDevice; TF32 from OMNIVORE_TF32). A device that fails to open (no GPU, no CUDA
// libraries) is left out with a warning; if nothing is left the command stops with one
// error line.
using Omnivore.Core;
using Omnivore.Cuda;
using Omnivore.Native;
using Omnivore.Scheduling;

namespace Omnivore.Cli;

public static class SchedulerDevices
{
    /// <summary>The devices that opened; positions[i] is device i's position in the list.</summary>
    public static List<ReplicaDevice> Open(string devices, out int total, out List<int> positions)
    {
        var specs = DeviceSpec.ParseList(devices, Environment.ProcessorCount);
        var opened = new List<ReplicaDevice>();
        total = specs.Count;
        positions = [];
        foreach (var s in specs)
        {
            try
            {
                IDevice device = s.Kind == "cpu"
                    ? CpuDevice.CreateWorker(s.Threads)
                    : CudaDevice.Create(s.Id, new CudaDeviceOptions { Tf32 = DeviceChoice.Tf32FromEnvironment() });
                opened.Add(new ReplicaDevice(device, s.Label, s.Slowdown, s.Granularity, long.MaxValue, s.Text));
                positions.Add(specs.ToList().IndexOf(s));
            }
            catch (OmnivoreException e)
            {
                Log.Warning($"device {s.Label} ('{s.Text}') failed to start and is left out: {e.Message}");
            }
        }
        if (opened.Count == 0) throw new OmnivoreException($"no device is left to train on: none of '{devices}' could start");
        return opened;
    }
}
