// BlasCoreTests: OpenBLAS runs the kernels this CPU's instructions call for. OpenBLAS
// 0.3.21 falls back to Prescott's SSE3 kernels on a CPU model it does not know (the GPU
// machine's virtual CPU: sgemm about 3x slow), so the CPU device sets OPENBLAS_CORETYPE
// before the library loads (ThreadingDefaults). Only a DYNAMIC_ARCH OpenBLAS can be told.
using Omnivore.Native;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Core;

[TestFixture]
public class BlasCoreTests
{
    [Test]
    public void OpenBlasRunsTheKernelsThisCpuCallsFor()
    {
        string? want = ThreadingDefaults.BlasCoreType();
        if (want is null) Assert.Ignore("this CPU has neither AVX-512 nor AVX2 with FMA: OpenBLAS's own choice stands");
        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { } user)
            Assert.Ignore($"OPENBLAS_CORETYPE={user} was set by the user, and wins");
        string info = CpuFixture.Device.BlasInfo;
        if (!info.Contains("DYNAMIC_ARCH")) Assert.Ignore($"OpenBLAS was built for one CPU ({info}): its kernels cannot be chosen");
        Assert.That(info, Does.Contain(want).IgnoreCase, "OpenBLAS's kernels (its core name in the device's BLAS line)");
    }
}
