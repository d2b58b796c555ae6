// CpuFixture: one CPU device for the whole test run (the native library is loaded once).
using Omnivore.Native;

namespace Omnivore.Tests.Support;

public static class CpuFixture
{
    private static readonly Lazy<CpuDevice> Lazy = new(() => CpuDevice.Create());
    public static CpuDevice Device => Lazy.Value;
}
