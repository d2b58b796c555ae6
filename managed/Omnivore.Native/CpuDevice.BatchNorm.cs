// CpuDevice.BatchNorm: IDevice.BatchNorm (BatchNorm's per-channel statistics) as calls
// into libomnivore_native; the channel count is the length of invStd.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void BatchNormTrainStats(DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum, DeviceBuffer factor,
                                    DeviceBuffer negMean, DeviceBuffer var, float maf, float correction, float eps)
    {
        long c = invStd.Length;
        foreach (var (b, what) in new[] { (meanSum, "meanSum"), (varSum, "varSum"), (negMean, "negMean"), (var, "var") })
            NeedElements(b, c, $"BatchNormTrainStats {what}");
        NeedElements(factor, 1, "BatchNormTrainStats factor");
        Check(om_batchnorm_train_stats(F(invStd), F(meanSum), F(varSum), F(factor), F(negMean), F(var), c, maf, correction, eps),
            "om_batchnorm_train_stats");
    }

    public void BatchNormGlobalStats(DeviceBuffer negMean, DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum,
                                     DeviceBuffer factor, float eps)
    {
        long c = invStd.Length;
        foreach (var (b, what) in new[] { (negMean, "negMean"), (meanSum, "meanSum"), (varSum, "varSum") })
            NeedElements(b, c, $"BatchNormGlobalStats {what}");
        NeedElements(factor, 1, "BatchNormGlobalStats factor");
        Check(om_batchnorm_global_stats(F(negMean), F(invStd), F(meanSum), F(varSum), F(factor), c, eps),
            "om_batchnorm_global_stats");
    }
}
