// DenormalTests: denormal floats are flushed to zero on every thread that computes: the
// thread that opened the CPU device, threads it starts (scheduler workers), OpenMP's and
// OpenBLAS's threads (a 2-thread sgemm whose products are all denormal gives exact
// zeros in every row, so every thread that took part flushed), and element-wise kernels
// treat denormal inputs as zero. The slow path they avoid cost a CaffeNet b64 iteration
// 46 s instead of 4 s here.
using Omnivore.Core;
using Omnivore.Native;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Core;

[TestFixture]
public class DenormalTests
{
    [SetUp]
    public void NeedsTheDefault()
    {
        if (!DenormalDefaults.Enabled) Assert.Ignore("OMNIVORE_DENORMALS=keep is set: denormals are kept by request");
        if (DenormalDefaults.CurrentMxcsr() is null) Assert.Ignore("not x86-64 Linux: the SSE control register is not read here");
    }

    [Test]
    public void TheOpeningThreadAndThreadsItStartsFlushDenormals()
    {
        using var device = CpuDevice.Create(1);
        Assert.That(DenormalDefaults.FlushesHere(), Is.True, $"MXCSR {DenormalDefaults.CurrentMxcsr():x}");
        bool child = false;
        var t = new Thread(() => child = DenormalDefaults.FlushesHere());
        t.Start();
        t.Join();
        Assert.That(child, Is.True, "a thread started afterwards inherits the setting");
    }

    [Test]
    public void KernelsOnEveryThreadReturnZeroForDenormalResults()
    {
        var dev = CpuFixture.Device;
        const int n = 256;
        using var a = new Blob(dev, "a", [n, n]);
        using var b = new Blob(dev, "b", [n, n]);
        using var c = new Blob(dev, "c", [n, n]);
        a.UploadData(Enumerable.Repeat(1e-20f, n * n).ToArray());
        b.UploadData(Enumerable.Repeat(1e-20f, n * n).ToArray());
        Assert.That(dev.Threads, Is.EqualTo(Environment.ProcessorCount), "the shared device uses every core");
        dev.Gemm(false, false, n, n, n, 1f, a.Data, b.Data, 0f, c.Data); // each product 1e-40: denormal
        Assert.That(c.DownloadData(), Has.All.EqualTo(0f));

        using var x = new Blob(dev, "x", [100_000]);
        x.UploadData(Enumerable.Repeat(1e-39f, 100_000).ToArray()); // a denormal input
        dev.Scale(x.Data, 1f);
        Assert.That(x.DownloadData(), Has.All.EqualTo(0f));
    }
}
