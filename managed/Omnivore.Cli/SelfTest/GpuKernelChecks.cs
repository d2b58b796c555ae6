// GpuKernelChecks: device-level GPU-vs-CPU checks that no single layer covers: the solver
// updates (SGD, SGD with fused L2, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, sign-axpy),
// reductions (dot, asum, channel sums, row sums), sgemm in every transpose combination,
// the layout kernels, upload/download round trips of odd sizes, and the random fills
// (the GPU uses the CPU's generator: values must agree; distributions are checked too).
// Solver updates are the same float steps as the CPU's: tolerance 1e-6.
using Omnivore.Core;

namespace Omnivore.Cli.SelfTest;

public static class GpuKernelChecks
{
    public delegate void Body(IDevice d, DeviceBuffer[] b);

    /// <summary>name, buffer sizes, tolerance, what to run; every buffer is compared afterwards.</summary>
    public static IReadOnlyList<(string Name, long[] Sizes, double Tolerance, Body Run)> Cases { get; } =
    [
        ("sgd update", [1001, 1001, 1001], 1e-6, (d, b) => d.SgdUpdate(b[0], b[1], b[2], 0.9f, 0.01f)),
        ("sgd update with fused L2", [1001, 1001, 1001], 1e-6, (d, b) => d.SgdUpdateL2(b[0], b[1], b[2], 5e-4f, 0.9f, 0.01f)),
        ("nesterov update", [777, 777, 777], 1e-6, (d, b) => d.NesterovUpdate(b[0], b[1], b[2], 0.95f, 0.1f)),
        ("adagrad update", [777, 777, 777], 1e-6, (d, b) => d.AdaGradUpdate(b[0], b[1], Abs(d, b[2]), 1e-8f, 0.01f)),
        ("rmsprop update", [777, 777, 777], 1e-6, (d, b) => d.RmsPropUpdate(b[0], b[1], Abs(d, b[2]), 0.98f, 1e-8f, 0.01f)),
        ("adadelta update", [777, 777, 777, 777], 1e-6, (d, b) => d.AdaDeltaUpdate(b[0], b[1], Abs(d, b[2]), Abs(d, b[3]), 0.95f, 1e-6f, 1f)),
        ("adam update", [777, 777, 777, 777], 1e-6, (d, b) => d.AdamUpdate(b[0], b[1], b[2], Abs(d, b[3]), 0.9f, 0.999f, 1e-8f, 0.001f)),
        ("sign axpy (L1)", [513, 513], 1e-6, (d, b) => d.SignAxpy(b[0], -0.01f, b[1])),
        ("axpby, scale, mul", [300, 300, 300], 1e-6, (d, b) => { d.Axpby(b[0], 0.5f, b[1], -2f); d.Scale(b[1], 3f); d.Mul(b[2], b[0], b[1]); }),
        ("set and copy", [300, 300], 0, (d, b) => { d.Copy(b[0], b[1]); d.Set(b[1].Slice(7, 100), -1.5f); }),
        ("dot and asum (written back)", [100003, 100003, 2], 1e-9, (d, b) =>
        {
            double dot = d.Dot(b[0], b[1]), asum = d.Asum(b[0]);
            d.Upload(b[2], [(float)(dot / 1e3), (float)(asum / 1e3)]);
        }),
        ("channel sums (alpha, beta)", [3 * 16 * 49, 3 * 16 * 49, 16], 1e-5, (d, b) => d.ChannelSums(b[2], b[0], b[1], 3, 16, 49, 0.5f, 2f)),
        ("channel sums of x", [3 * 16 * 49, 16], 1e-5, (d, b) => d.ChannelSums(b[1], b[0], default, 3, 16, 49, 1f, 0f)),
        ("row sums accumulate", [20 * 333, 20], 1e-5, (d, b) => d.RowSumsAccumulate(b[1], b[0], 20, 333)),
        ("gemm NN", [37 * 29, 29 * 41, 37 * 41], 1e-5, (d, b) => d.Gemm(false, false, 37, 41, 29, 1.5f, b[0], b[1], 0.5f, b[2])),
        ("gemm TN", [37 * 29, 29 * 41, 37 * 41], 1e-5, (d, b) => d.Gemm(true, false, 37, 41, 29, 1f, b[0], b[1], 0f, b[2])),
        ("gemm NT", [37 * 29, 29 * 41, 37 * 41], 1e-5, (d, b) => d.Gemm(false, true, 37, 41, 29, 1f, b[0], b[1], 1f, b[2])),
        ("gemm TT", [37 * 29, 29 * 41, 37 * 41], 1e-5, (d, b) => d.Gemm(true, true, 37, 41, 29, -1f, b[0], b[1], 0f, b[2])),
        ("layouts nchw<->cnhw with bias", [5 * 7 * 13, 5 * 7 * 13, 7], 0, (d, b) => { d.NchwToCnhw(b[0], b[1], 5, 7, 13); d.CnhwToNchw(b[1], b[0], b[2], 5, 7, 13); }),
        ("im2col/col2im batch", [3 * 2 * 9 * 8, 2 * 3 * 3 * 3 * 4 * 4], 0, (d, b) =>
        {
            var g = new WindowGeometry(2, 9, 8, 3, 3, 1, 0, 2, 2, 1, 1);
            d.Im2ColBatch(b[1], b[0], 3, g);
            d.Col2ImBatch(b[0], b[1], 3, g);
        }),
        ("uniform fill (same generator)", [10001], 1e-6, (d, b) => d.FillUniform(b[0], -2f, 3f, 42)),
        ("gaussian fill (same generator)", [10001], 1e-5, (d, b) => d.FillGaussian(b[0], 1f, 2f, 43)),
        ("bernoulli fill (same generator)", [10001], 0, (d, b) => d.FillBernoulli(b[0], 0.3f, 2f, 44)),
    ];

    /// <summary>Makes a buffer's values non-negative (histories of the adaptive solvers).</summary>
    private static DeviceBuffer Abs(IDevice d, DeviceBuffer b)
    {
        d.UnaryForward(UnaryOp.AbsVal, b, b);
        return b;
    }

    public static CheckResult Run((string Name, long[] Sizes, double Tolerance, Body Run) c, IDevice cpu, IDevice gpu)
    {
        var tally = new ErrorTally();
        var values = c.Sizes.Select((n, i) => Inputs.Uniform(n, 200 + i)).ToArray();
        var cb = values.Select(v => Inputs.Put(cpu, v)).ToArray();
        var gb = values.Select(v => Inputs.Put(gpu, v)).ToArray();
        try
        {
            c.Run(cpu, cb);
            c.Run(gpu, gb);
            for (int i = 0; i < cb.Length; i++) tally.Compare($"buffer{i}", Inputs.Get(gpu, gb[i]), Inputs.Get(cpu, cb[i]));
            return new CheckResult(c.Name, tally.Max, c.Tolerance, tally.Where);
        }
        catch (Exception e) when (e is OmnivoreException or ArgumentException)
        {
            return new CheckResult(c.Name, tally.Max, c.Tolerance, tally.Where, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            foreach (var b in cb) cpu.Free(b);
            foreach (var b in gb) gpu.Free(b);
        }
    }

    /// <summary>The GPU's random fills have the right distributions (independently of the CPU).</summary>
    public static CheckResult RandomDistributions(IDevice gpu)
    {
        const int n = 1 << 20;
        var b = gpu.Allocate(n);
        try
        {
            var tally = new ErrorTally();
            gpu.FillUniform(b, -1f, 3f, 7);
            var u = Inputs.Get(gpu, b);
            tally.Compare("uniform mean", u.Average(), 1.0);
            tally.Compare("uniform min/max inside", u.Min() >= -1f && u.Max() < 3f ? 0 : 1, 0);
            gpu.FillGaussian(b, 0.5f, 2f, 8);
            var g = Inputs.Get(gpu, b);
            double mean = g.Average(), sd = Math.Sqrt(g.Select(x => (x - mean) * (x - mean)).Average());
            tally.Compare("gaussian mean", mean, 0.5);
            tally.Compare("gaussian std", sd, 2.0);
            gpu.FillBernoulli(b, 0.3f, 1f, 9);
            tally.Compare("bernoulli keep fraction", Inputs.Get(gpu, b).Average(), 0.3);
            return new CheckResult("random distributions (2^20 values)", tally.Max, 0.01, tally.Where);
        }
        finally
        {
            gpu.Free(b);
        }
    }
}
