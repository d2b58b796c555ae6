// IDevice.Activations: elementwise activations of Caffe's neuron layers behind one
// generic forward/backward pair selected by UnaryOp, and PReLU over (N, C, inner).
// The meaning of the parameters a, b, c of each op is documented on UnaryOp.
namespace Omnivore.Core;

/// <summary>
/// Elementwise ops of UnaryForward/UnaryBackward. The integer values are part of the
/// native ABI (enum om_unary_op in native/include/omnivore_activations.h).
/// </summary>
public enum UnaryOp
{
    /// <summary>y = 0.5*tanh(0.5x) + 0.5; dx = dy*y*(1-y). Backward reads y.</summary>
    Sigmoid = 0,
    /// <summary>y = tanh(x); dx = dy*(1-y^2). Backward reads y.</summary>
    TanH = 1,
    /// <summary>y = |x|; dx = dy*sign(x). Backward reads x.</summary>
    AbsVal = 2,
    /// <summary>a = alpha: y = x &gt; 0 ? x : a(e^x - 1); dx = dy*((x&gt;0) + (a+y)(x&lt;=0)). Reads x, y.</summary>
    Elu = 3,
    /// <summary>a = power, b = scale, c = shift: y = (b*x + c)^a with Caffe's special cases. Reads x, y.</summary>
    Power = 4,
    /// <summary>a = inner scale, b = outer scale: y = b*e^(a*x); dx = dy*y*a. Backward reads y.</summary>
    Exp = 5,
    /// <summary>a = scale, b = shift, c = ln(base): y = ln(a*x + b)/c; dx = dy*(a/c)/(a*x + b). Reads x.</summary>
    Log = 6,
    /// <summary>a = threshold: y = x &gt; a ? 1 : 0; backward gives 0.</summary>
    Threshold = 7,
    /// <summary>y = sign(x) (0 at 0); backward gives 0.</summary>
    Sign = 8,
}

public partial interface IDevice
{
    /// <summary>y = op(x) elementwise; y may be x (in place).</summary>
    void UnaryForward(UnaryOp op, DeviceBuffer y, DeviceBuffer x, float a = 0, float b = 0, float c = 0);

    /// <summary>
    /// dx = dy * op'(x) elementwise, from the forward input x and output y (either may be a
    /// null buffer when the op does not read it); dx may be dy (in place). Overwrites dx.
    /// </summary>
    void UnaryBackward(UnaryOp op, DeviceBuffer dx, DeviceBuffer dy, DeviceBuffer x, DeviceBuffer y,
                       float a = 0, float b = 0, float c = 0);

    /// <summary>top (N, C, inner) = max(x, 0) + slope[c] * min(x, 0); slope (C), or (1) when shared.</summary>
    void PReluForward(DeviceBuffer top, DeviceBuffer bottom, DeviceBuffer slope, int n, int channels, long inner,
                      bool channelShared);

    /// <summary>
    /// PReLU backward over (N, C, inner): slopeDiff += sum of topDiff * x where x &lt;= 0 (per
    /// channel, or all into one when shared), then bottomDiff = topDiff * (x &gt; 0 ? 1 : slope).
    /// Either output may be a null buffer to skip it; bottomDiff may be topDiff.
    /// </summary>
    void PReluBackward(DeviceBuffer bottomDiff, DeviceBuffer slopeDiff, DeviceBuffer topDiff, DeviceBuffer bottom,
                       DeviceBuffer slope, int n, int channels, long inner, bool channelShared);
}
