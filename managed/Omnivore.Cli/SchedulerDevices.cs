// SchedulerDevices: opens the replica devices named by --devices (DeviceSpec syntax).
// A CPU entry becomes a CPU worker device with its own thread count; a GPU entry cannot
// start in this build (no GPU engine yet) and, like any device that fails to open, is
// left out with a warning; if nothing is left the command stops with one error line.
using Omnivore.Core;
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
                if (s.Kind != "cpu")
                    throw new OmnivoreException("this build has no GPU engine yet");
                var device = CpuDevice.CreateWorker(s.Threads);
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
