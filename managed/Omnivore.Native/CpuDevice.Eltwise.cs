// CpuDevice.Eltwise: IDevice.Eltwise (Eltwise MAX with its int32 mask, division) as calls
// into libomnivore_native.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void EltwiseMaxForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer x, int index)
    {
        NeedElements(top, x.Length, "EltwiseMaxForward top");
        NeedElements(mask, x.Length, "EltwiseMaxForward mask");
        Check(om_eltwise_max_fwd(F(top), I(mask), F(x), x.Length, index), "om_eltwise_max_fwd");
    }

    public void EltwiseMaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int index)
    {
        NeedElements(topDiff, bottomDiff.Length, "EltwiseMaxBackward topDiff");
        NeedElements(mask, bottomDiff.Length, "EltwiseMaxBackward mask");
        Check(om_eltwise_max_bwd(F(bottomDiff), F(topDiff), I(mask), bottomDiff.Length, index), "om_eltwise_max_bwd");
    }

    public void EltwiseDiv(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b)
    {
        SameLength(y, a);
        SameLength(y, b);
        Check(om_eltwise_div(F(y), F(a), F(b), y.Length), "om_eltwise_div");
    }
}
