// IDevice.Solvers: fused update kernels of Caffe's SGD-family solvers and the sign-axpy
// of L1 regularisation. Each update works on one parameter slice: w (weights), g (the
// regularised, normalised gradient), the solver's history slice(s); it updates the
// history, leaves the update value in g (as Caffe leaves it in the diff) and applies
// w -= g. lr is Caffe's local rate (rate * lr_mult). All buffers have equal length.
namespace Omnivore.Core;

public partial interface IDevice
{
    /// <summary>y += alpha * sign(x), sign(0) = 0 (Caffe's L1 regularisation).</summary>
    void SignAxpy(DeviceBuffer y, float alpha, DeviceBuffer x);

    /// <summary>SGD with L2 decay in one pass: g += decay*w; h = m*h + lr*g; g = h; w -= g
    /// (the same float steps as Axpby(g, decay, w, 1) then SgdUpdate). clearGradient: g = 0
    /// at the end instead (the next iteration's clear, in the same pass where the device can).</summary>
    void SgdUpdateL2(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float decay, float momentum, float lr,
                     bool clearGradient = false);

    /// <summary>Nesterov: h' = m*h + lr*g; g = (1+m)*h' - m*h; h = h'; w -= g.</summary>
    void NesterovUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr);

    /// <summary>AdaGrad: h += g²; g = lr * g / (sqrt(h) + delta); w -= g.</summary>
    void AdaGradUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float delta, float lr);

    /// <summary>RMSProp: h = d*h + (1-d)*g²; g = lr * g / (sqrt(h) + delta); w -= g.</summary>
    void RmsPropUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float rmsDecay, float delta, float lr);

    /// <summary>AdaDelta: h = m*h + (1-m)*g²; d = g*sqrt((u+delta)/(h+delta)); u = m*u + (1-m)*d²;
    /// g = lr*d; w -= g.</summary>
    void AdaDeltaUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, DeviceBuffer u, float momentum, float delta, float lr);

    /// <summary>Adam: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g²; g = step * m / (sqrt(v) + delta); w -= g,
    /// with the bias correction folded into step by the caller.</summary>
    void AdamUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, float beta1, float beta2, float delta, float step);
}
