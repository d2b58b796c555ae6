// IDevice.Scheduling: what the multi-device scheduler needs from a device beyond its
// kernels. Each replica's device is driven from one dedicated worker thread
// (BindWorkerThread runs first on it); BeginConcurrent/EndConcurrent bracket every
// phase in which several replicas run at once (called on the scheduling thread, never
// concurrently), so a device with process-wide state (OpenBLAS's thread pool) can set
// it safely; HostAddressable says whether buffers are plain host pointers, so that
// copies between two such devices need no staging; TryCopyFromPeer lets two handles on
// one GPU (the master's and a replica's, each with its own stream) copy device to device,
// ordered after what the source has queued. All have do-nothing defaults.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>Host memory: any device's host-addressable buffer may be read and written directly.</summary>
    bool HostAddressable => false;

    /// <summary>Called once on the worker thread that will run this device's replica.</summary>
    void BindWorkerThread() { }

    /// <summary>Before replicas run concurrently; concurrent = how many devices take part.</summary>
    void BeginConcurrent(int concurrent) { }

    /// <summary>After a concurrent phase (every BeginConcurrent is matched by one call).</summary>
    void EndConcurrent() { }

    /// <summary>
    /// dst (this device) = src (a buffer of `source`) without a trip through the host, when this
    /// device can address source's memory (the same GPU context); the copy runs after all that
    /// source has queued so far. False (nothing done) when it cannot.
    /// </summary>
    bool TryCopyFromPeer(DeviceBuffer dst, IDevice source, DeviceBuffer src) => false;

    /// <summary>Whether TryCopyFromPeer works from source (this device can address its memory).</summary>
    bool CanCopyFromPeer(IDevice source) => false;
}
