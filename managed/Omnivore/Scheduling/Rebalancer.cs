// Rebalancer: keeps the split balanced while training. Each step's measured seconds of
// every device with a share give its seconds per image under the split's cost model
// (images rounded up to its granularity); one sample is clipped to within 2x of the
// estimate (a step stalled by the OS is not news) and an exponential moving average
// smooths the rest. After at least MinSamples steps since the last change, the split
// that is best for the smoothed throughputs is adopted only if it is predicted to be
// faster than the current split by more than the threshold at Patience checks in a row
// (hysteresis: noise never moves the split back and forth). The threshold is MinGain,
// raised on a noisy machine to twice the relative standard error of the smoothed
// figures (from an exponentially weighted variance of the samples), so that a gain the
// noise alone could show is not acted on. The first step after a
// start or a change is not measured (new shapes: convolution plans, buffers). A device
// with no share keeps its estimate.
namespace Omnivore.Scheduling;

public sealed class Rebalancer
{
    private readonly SplitDevice[] _devices;
    private readonly bool[] _measured;
    private readonly double[] _variance;
    private int _samples, _better;
    private bool _warmup = true;

    public Rebalancer(IReadOnlyList<SplitDevice> devices, double smoothing = 0.1, double minGain = 0.05, int minSamples = 5,
                      int patience = 3)
    {
        Patience = patience;
        if (!(smoothing > 0 && smoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(smoothing));
        _devices = devices.ToArray();
        // Start-up figures are measurements (the probe) unless a device has none.
        _measured = _devices.Select(d => d.Usable).ToArray();
        _variance = new double[_devices.Length];
        Smoothing = smoothing;
        MinGain = minGain;
        MinSamples = minSamples;
    }

    /// <summary>Weight of the newest measurement in the moving average.</summary>
    public double Smoothing { get; }
    /// <summary>Relative predicted gain a new split needs (0.05: 5%).</summary>
    public double MinGain { get; }
    public int MinSamples { get; }
    /// <summary>Consecutive checks a better split must win before it is adopted.</summary>
    public int Patience { get; }

    /// <summary>Predicted relative gain of the last change (0.08: 8% shorter iterations).</summary>
    public double LastGain { get; private set; }

    /// <summary>The devices with their current smoothed throughputs.</summary>
    public IReadOnlyList<SplitDevice> Devices => _devices;

    /// <summary>Feeds one step; returns the new shares when the split should change, else null.</summary>
    public int[]? Observe(IReadOnlyList<int> shares, IReadOnlyList<double> seconds)
    {
        if (_warmup)
        {
            _warmup = false;
            return null;
        }
        for (int i = 0; i < _devices.Length; i++)
        {
            if (shares[i] <= 0 || !(seconds[i] > 0)) continue;
            var d = _devices[i];
            double busy = Math.Max(seconds[i] - d.OverheadSeconds, 1e-9);
            double perImage = busy / (Math.Ceiling(shares[i] / (double)d.Granularity) * d.Granularity);
            if (d.Usable && _measured[i])
            {
                double old = 1 / d.ImagesPerSecond, sample = Math.Clamp(perImage, old / 2, old * 2);
                perImage = Smoothing * sample + (1 - Smoothing) * old;
                _variance[i] = (1 - Smoothing) * (_variance[i] + Smoothing * (sample - old) * (sample - old));
            }
            _devices[i] = d with { ImagesPerSecond = 1 / perImage };
            _measured[i] = true;
        }
        if (++_samples < MinSamples) return null;
        int batch = shares.Sum();
        var next = BatchSplit.Split(batch, _devices);
        double now = BatchSplit.Predict(_devices, shares), then = BatchSplit.Predict(_devices, next);
        if (!(then < now * (1 - Threshold(shares))))
        {
            _better = 0;
            return null;
        }
        if (++_better < Patience) return null;
        LastGain = 1 - then / now;
        _better = 0;
        _samples = 0;
        _warmup = true;
        return next;
    }

    /// <summary>Relative gain needed now: MinGain, or twice the largest relative standard error of an active device.</summary>
    public double Threshold(IReadOnlyList<int> shares)
    {
        double worst = 0, k = Math.Sqrt(Smoothing / (2 - Smoothing));
        for (int i = 0; i < _devices.Length; i++)
            if (shares[i] > 0 && _devices[i].Usable)
                worst = Math.Max(worst, Math.Sqrt(_variance[i]) * _devices[i].ImagesPerSecond * k);
        return Math.Max(MinGain, 2 * worst);
    }

    /// <summary>"cpu0 43 + cpu1 21 of 64, predicted 1234 images/s".</summary>
    public string Describe(IReadOnlyList<int> shares)
    {
        double t = BatchSplit.Predict(_devices, shares);
        return $"{BatchSplit.Describe(_devices, shares)}, predicted {Core.Fmt.G(t > 0 ? shares.Sum() / t : 0)} images/s";
    }
}
