// DeviceWorker: one dedicated background thread per replica device. The device binds
// itself to the thread once (a CPU replica sets its thread-local kernel thread count),
// then the thread runs one job at a time. Run posts a job; Wait returns when it ends,
// rethrowing its exception, or reports false after a timeout so a device that hangs
// (a stuck driver) is left behind instead of hanging the program: the thread is a
// background thread and does not keep the process alive.
using Omnivore.Core;

namespace Omnivore.Scheduling;

public sealed class DeviceWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0), _done = new(0);
    private Action? _job;
    private Exception? _error;
    private volatile bool _stopping;
    private bool _busy;

    public DeviceWorker(IDevice device, string label)
    {
        Device = device;
        Label = label;
        _thread = new Thread(Loop) { IsBackground = true, Name = $"omnivore {label}" };
        _thread.Start();
    }

    public IDevice Device { get; }
    public string Label { get; }

    /// <summary>True after a Wait timed out: the thread may still be inside the job.</summary>
    public bool Abandoned { get; private set; }

    public void Post(Action job)
    {
        if (_busy) throw new InvalidOperationException($"{Label}: a job is already running");
        if (Abandoned) throw new OmnivoreException($"{Label} did not finish an earlier job and was left out");
        _busy = true;
        _error = null;
        _job = job;
        _start.Release();
    }

    /// <summary>Waits for the posted job; false on timeout. The job's exception is rethrown.</summary>
    public bool Wait(TimeSpan? timeout = null)
    {
        if (!_busy) return true;
        if (!_done.Wait(timeout ?? Timeout.InfiniteTimeSpan))
        {
            Abandoned = true;
            return false;
        }
        _busy = false;
        if (_error is { } e)
            throw e is OmnivoreException ? new OmnivoreException($"{Label}: {e.Message}", e)
                                         : new OmnivoreException($"{Label} failed: {e.GetType().Name}: {e.Message}", e);
        return true;
    }

    public void Run(Action job)
    {
        Post(job);
        Wait();
    }

    private void Loop()
    {
        Exception? bindError = null;
        try { Device.BindWorkerThread(); }
        catch (Exception e) { bindError = e; }
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            try
            {
                if (bindError is not null) throw bindError;
                _job!();
            }
            catch (Exception e) { _error = e; }
            _job = null;
            _done.Release();
        }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        _start.Release(); // an abandoned thread exits too if its job ever returns
        if (!Abandoned) _thread.Join(TimeSpan.FromSeconds(10));
    }
}
