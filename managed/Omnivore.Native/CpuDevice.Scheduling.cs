// CpuDevice.Scheduling: CPU devices for the scheduler's replicas. A worker device
// (CreateWorker) runs its kernels with its own thread count on the worker thread that
// drives it (a thread-local setting of the native library), leaving the process-wide
// count of the main device alone. OpenBLAS's thread count is process-wide: while CPU
// replicas run concurrently it is set to 1 (several CPU devices in one phase) or to the
// only CPU replica's own count, and restored when the last one ends the phase. The
// scheduler calls BeginConcurrent/EndConcurrent from one thread, so a plain counter
// suffices; the convolution engine saves and restores the value around its partitioned
// regions, so concurrent replicas leave it as they found it.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    private static int s_concurrent, s_savedBlas;
    private static readonly object s_gate = new();
    private readonly int _workerThreads;

    private CpuDevice(int workerThreads, bool worker) : this(0)
    {
        _workerThreads = workerThreads;
        Threads = workerThreads;
        Name = $"CPU ({BlasInfo}, {workerThreads} thread{(workerThreads == 1 ? "" : "s")}, worker)";
    }

    /// <summary>A device for one scheduler replica: threads kernel threads on its worker thread.</summary>
    public static CpuDevice CreateWorker(int threads)
    {
        if (threads < 1) throw new OmnivoreException($"a CPU replica needs at least 1 thread (got {threads})");
        using (Create()) { } // loads and checks the library; keeps the process-wide settings
        return new CpuDevice(threads, worker: true);
    }

    public bool HostAddressable => true;

    public void BindWorkerThread()
    {
        DenormalDefaults.ApplyToThisThread();
        if (_workerThreads > 0) Check(om_set_thread_threads(_workerThreads), "om_set_thread_threads");
    }

    public void BeginConcurrent(int concurrent)
    {
        lock (s_gate)
        {
            if (s_concurrent++ == 0) s_savedBlas = om_get_blas_threads();
            int want = s_concurrent == 1 ? Math.Max(1, Threads) : 1;
            if (om_get_blas_threads() != want) Check(om_set_blas_threads(want), "om_set_blas_threads");
        }
    }

    public void EndConcurrent()
    {
        lock (s_gate)
        {
            if (s_concurrent == 0) return;
            if (--s_concurrent == 0 && om_get_blas_threads() != s_savedBlas)
                Check(om_set_blas_threads(s_savedBlas), "om_set_blas_threads");
        }
    }

    /// <summary>OpenBLAS's process-wide thread count (for tests and logs).</summary>
    public static int BlasThreads => om_get_blas_threads();
}
