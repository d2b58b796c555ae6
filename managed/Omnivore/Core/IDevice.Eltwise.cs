// IDevice.Eltwise: kernels of the Eltwise layer beyond the core flat-array ones: the
// running maximum over several inputs with the winning input's index (an int32 mask),
// its backward routing, and elementwise division.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>One step of the running maximum over inputs 0, 1, 2, ... (index 0 first):
    /// index 0 copies x and sets mask 0; index 1 takes x where top is not greater (Caffe's
    /// tie rule); later inputs only where strictly greater. mask holds 32-bit ints.</summary>
    void EltwiseMaxForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer x, int index);

    /// <summary>bottomDiff = mask == index ? topDiff : 0.</summary>
    void EltwiseMaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int index);

    /// <summary>y = a / b elementwise; y may be a or b.</summary>
    void EltwiseDiv(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b);
}
