// CpuDevice.Solvers: the solver update kernels on the host, one native call each.
using Omnivore.Core;
using static Omnivore.Native.NativeMethods;

namespace Omnivore.Native;

public sealed unsafe partial class CpuDevice
{
    public void SignAxpy(DeviceBuffer y, float alpha, DeviceBuffer x)
    {
        SameLength(y, x);
        Check(om_sign_axpy(F(y), alpha, F(x), y.Length), "om_sign_axpy");
    }

    public void SgdUpdateL2(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float decay, float momentum, float lr,
                            bool clearGradient = false)
    {
        SameLengths(w, g, h);
        if (clearGradient)
            Check(om_sgd_update_l2_clear(F(w), F(g), F(h), decay, momentum, lr, w.Length), "om_sgd_update_l2_clear");
        else
            Check(om_sgd_update_l2(F(w), F(g), F(h), decay, momentum, lr, w.Length), "om_sgd_update_l2");
    }

    public void NesterovUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr)
    {
        SameLengths(w, g, h);
        Check(om_nesterov_update(F(w), F(g), F(h), momentum, lr, w.Length), "om_nesterov_update");
    }

    public void AdaGradUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float delta, float lr)
    {
        SameLengths(w, g, h);
        Check(om_adagrad_update(F(w), F(g), F(h), delta, lr, w.Length), "om_adagrad_update");
    }

    public void RmsPropUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float rmsDecay, float delta, float lr)
    {
        SameLengths(w, g, h);
        Check(om_rmsprop_update(F(w), F(g), F(h), rmsDecay, delta, lr, w.Length), "om_rmsprop_update");
    }

    public void AdaDeltaUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, DeviceBuffer u, float momentum, float delta, float lr)
    {
        SameLengths(w, g, h, u);
        Check(om_adadelta_update(F(w), F(g), F(h), F(u), momentum, delta, lr, w.Length), "om_adadelta_update");
    }

    public void AdamUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer m, DeviceBuffer v, float beta1, float beta2, float delta, float step)
    {
        SameLengths(w, g, m, v);
        Check(om_adam_update(F(w), F(g), F(m), F(v), beta1, beta2, delta, step, w.Length), "om_adam_update");
    }

    private static void SameLengths(DeviceBuffer first, params ReadOnlySpan<DeviceBuffer> others)
    {
        foreach (var b in others) SameLength(first, b);
    }
}
