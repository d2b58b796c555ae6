// DeviceSync: devices whose calls only queue work (a GPU's stream) implement
// IAsynchronousDevice; code that measures time (the `time` command, the convolution probe)
// calls DeviceSync.Wait so its clock covers the work itself. Layers never need it: a
// Download waits for what it reads.
namespace Omnivore.Core;

public interface IAsynchronousDevice
{
    /// <summary>Returns when every call made so far has finished on the device.</summary>
    void Synchronize();
}

public static class DeviceSync
{
    public static void Wait(IDevice device)
    {
        if (device is IAsynchronousDevice d) d.Synchronize();
    }
}
