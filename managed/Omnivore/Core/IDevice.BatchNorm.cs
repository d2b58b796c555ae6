// IDevice.BatchNorm: the per-channel statistics steps of Caffe's BatchNorm. The layer
// keeps unnormalised running sums meanSum (C), varSum (C) and factor (1); the statistics
// in use are meanSum / factor and varSum / factor.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>Training step from the batch's negMean (C) and biased var (C):
    /// factor = maf*factor + 1; meanSum = maf*meanSum - negMean;
    /// varSum = maf*varSum + correction*var; invStd = 1/sqrt(var + eps).</summary>
    void BatchNormTrainStats(DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum, DeviceBuffer factor,
                             DeviceBuffer negMean, DeviceBuffer var, float maf, float correction, float eps);

    /// <summary>s = factor == 0 ? 0 : 1/factor; negMean = -s*meanSum; invStd = 1/sqrt(s*varSum + eps).</summary>
    void BatchNormGlobalStats(DeviceBuffer negMean, DeviceBuffer invStd, DeviceBuffer meanSum, DeviceBuffer varSum,
                              DeviceBuffer factor, float eps);
}
