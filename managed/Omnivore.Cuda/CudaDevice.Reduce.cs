// CudaDevice.Reduce: the GPU's reductions (native/cuda/reduce.cu): per-channel sums in
// two passes (partial sums in double over `slots` threads per channel, then each
// channel's slots in order), and dot/asum, whose partials are folded to a few hundred
// doubles on the device and finished on the host. Also the device scratch buffer that
// reductions and multi-pass kernels use: one buffer, grown when needed; safe to reuse
// from call to call because all work runs in stream order.
using Omnivore.Core;
using static Omnivore.Cuda.CudaDriver;

namespace Omnivore.Cuda;

public sealed unsafe partial class CudaDevice
{
    private ulong _scratch;
    private long _scratchBytes;
    private const int TermX = 0, TermXY = 1, TermAbs = 2, TermPRelu = 3;
    private const int FinishAffine = 0, FinishAdd = 1, FinishAddAll = 2;
    private const long HostFold = 256;

    /// <summary>At least `bytes` of device scratch (contents undefined).</summary>
    private ulong Scratch(long bytes)
    {
        if (bytes <= _scratchBytes) return _scratch;
        MakeCurrent();
        if (_scratch != 0)
        {
            Check(cuStreamSynchronize(_stream), "cuStreamSynchronize");
            Check(cuMemFree(_scratch), "cuMemFree");
            _scratch = 0;
            _scratchBytes = 0;
        }
        long size = Math.Max(bytes, 1L << 20);
        ulong p;
        Check(cuMemAlloc(&p, (nuint)size), "cuMemAlloc (scratch)");
        _scratch = p;
        _scratchBytes = size;
        return p;
    }

    /// <summary>Slots per channel: about 64k threads in all, at most 1024 per channel, at
    /// most one per position.</summary>
    private static long Slots(long channels, long positions) =>
        Math.Max(1, Math.Min(Math.Min(1024, Math.Max(1, 65536 / Math.Max(channels, 1))), positions));

    /// <summary>sums[c] finished from the terms of x (and y) over (outer, channels, inner).</summary>
    private void ChannelReduce(DeviceBuffer sums, DeviceBuffer x, DeviceBuffer y, long outer, long channels, long inner,
                               int term, int finish, float alpha = 1, float beta = 0)
    {
        if (channels <= 0) return;
        long slots = Slots(channels, outer * inner);
        ulong partial = Scratch(channels * slots * sizeof(double));
        Launch("omk_channel_partials", channels * slots,
            [A((ulong)partial), A(x), A(y), A(outer), A(channels), A(inner), A(slots), A(term)]);
        Launch("omk_channel_finish", finish == FinishAddAll ? 1 : channels,
            [A(sums), A((ulong)partial), A(channels), A(slots), A(alpha), A(beta), A(finish)]);
    }

    /// <summary>Sum of the terms of x (and y) over all of x, finished on the host.</summary>
    private double FlatReduce(DeviceBuffer x, DeviceBuffer y, int term)
    {
        long n = x.Length;
        if (n == 0) return 0.0;
        long slots = Math.Min(65536, n);
        ulong partial = Scratch((slots + HostFold) * sizeof(double));
        ulong fold = partial + (ulong)(slots * sizeof(double));
        Launch("omk_channel_partials", slots, [A((ulong)partial), A(x), A(y), A(1L), A(1L), A(n), A(slots), A(term)]);
        long folds = Math.Min(HostFold, slots);
        Launch("omk_sum_doubles", folds, [A(fold), A((ulong)partial), A(slots), A(folds)]);
        var host = stackalloc double[(int)folds];
        DownloadBytes((byte*)host, fold, folds * sizeof(double));
        double total = 0;
        for (int i = 0; i < folds; i++) total += host[i];
        return total;
    }

    public double Dot(DeviceBuffer x, DeviceBuffer y)
    {
        SameLength(x, y);
        return FlatReduce(x, y, TermXY);
    }

    public double Asum(DeviceBuffer x) => FlatReduce(x, default, TermAbs);

    public void ChannelSums(DeviceBuffer sums, DeviceBuffer x, DeviceBuffer y, int outer, int channels, int inner,
                            float alpha, float beta)
    {
        long count = (long)outer * channels * inner;
        NeedElements(sums, channels, "ChannelSums sums");
        NeedElements(x, count, "ChannelSums x");
        if (!y.IsNull) NeedElements(y, count, "ChannelSums y");
        ChannelReduce(sums, x, y, outer, channels, inner, y.IsNull ? TermX : TermXY, FinishAffine, alpha, beta);
    }

    public void RowSumsAccumulate(DeviceBuffer sums, DeviceBuffer m, int rows, long cols)
    {
        NeedElements(sums, rows, "RowSumsAccumulate sums");
        NeedElements(m, rows * cols, "RowSumsAccumulate m");
        ChannelReduce(sums, m, default, 1, rows, cols, TermX, FinishAdd);
    }
}
