// IDevice.LrnWithin: local response normalisation within each channel (Caffe's LRN with
// norm_region: WITHIN_CHANNEL): the squares are averaged over a size x size window
// (zero padding (size-1)/2, divisor size*size as Caffe's AVE pooling gives), then
// top = bottom * (1 + alpha * average)^-beta. k is not used, as in Caffe.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>top, scale (kept for backward) from bottom, all (n, c, h, w); size odd.</summary>
    void LrnWithinForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                          int n, int c, int h, int w, int size, float alpha, float beta);

    /// <summary>bottomDiff (overwritten) from topDiff and the forward pass's top and scale.</summary>
    void LrnWithinBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                           DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta);
}
