// IDevice.Loss: SoftmaxWithLoss's loss and gradient computed where the probabilities
// live, so nothing but the scalar loss crosses to the host. prob is (outer, channels,
// inner), labels (outer, inner) class indices stored as floats (truncated to int, as
// Caffe casts them); ignoreLabel (when not null) marks positions to skip.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>Sum over counted positions of -ln(max(p_label, FLT_MIN)) in (outer, inner)
    /// order, with the number of counted positions. badAt is the flat (outer, inner) index of
    /// the first label that is not a class in [0, channels), or -1.</summary>
    double SoftmaxLossForward(DeviceBuffer prob, DeviceBuffer labels, int outer, int channels, int inner,
                              int? ignoreLabel, out long valid, out long badAt);

    /// <summary>bottomDiff = scale * (prob - onehot(label)); 0 at ignored positions.</summary>
    void SoftmaxLossBackward(DeviceBuffer bottomDiff, DeviceBuffer prob, DeviceBuffer labels, int outer, int channels,
                             int inner, int? ignoreLabel, float scale);
}
