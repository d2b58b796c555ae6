// CudaDevice.Peer: device-to-device copies between two CudaDevice handles on one GPU. Each
// handle has its own stream on the GPU's primary context, so the scheduler's master and a
// replica on the same GPU share memory but not order: the source records an event on its
// stream, this stream waits for it, then copies. Nothing blocks the host.
using Omnivore.Core;
using static Omnivore.Cuda.CudaDriver;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    private readonly object _peerGate = new();
    private nint _peerEvent;

    public bool CanCopyFromPeer(IDevice source) => source is CudaDevice other && other._context == _context;

    public bool TryCopyFromPeer(DeviceBuffer dst, IDevice source, DeviceBuffer src)
    {
        if (!CanCopyFromPeer(source)) return false;
        var other = (CudaDevice)source;
        SameLength(dst, src);
        if (src.Length == 0) return true;
        MakeCurrent();
        lock (other._peerGate)
        {
            if (other._peerEvent == 0)
            {
                nint e;
                Check(cuEventCreate(&e, EventDisableTiming), "cuEventCreate");
                other._peerEvent = e;
            }
            Check(cuEventRecord(other._peerEvent, other._stream), "cuEventRecord");
            Check(cuStreamWaitEvent(_stream, other._peerEvent, 0), "cuStreamWaitEvent");
        }
        Check(cuMemcpyDtoDAsync((ulong)dst.Ptr, (ulong)src.Ptr, (nuint)(src.Length * 4), _stream), "cuMemcpyDtoDAsync");
        return true;
    }
}
