// LossNormalization: Caffe's LossParameter normalization modes, shared by the loss
// layers: which mode a layer uses (normalization, else the legacy normalize flag, else
// the layer's own default) and the divisor it gives, never below 1 so a batch with
// every label ignored yields 0 rather than NaN.
using Omnivore.Model.Caffe;
using Norm = Omnivore.Model.Caffe.LossParameter.Types.NormalizationMode;

namespace Omnivore.Layers;

internal static class LossNormalization
{
    /// <summary>The mode: normalization if given, else normalize (true: VALID, false: BATCH_SIZE), else fallback.</summary>
    public static Norm Resolve(LossParameter? lp, Norm fallback)
    {
        if (lp is null) return fallback;
        if (lp.HasNormalization) return lp.Normalization;
        if (lp.HasNormalize) return lp.Normalize ? Norm.Valid : Norm.BatchSize;
        return fallback;
    }

    /// <summary>The divisor for outer x inner predictions of which `valid` count (-1: all).</summary>
    public static double Normalizer(Norm mode, long outer, long inner, long valid)
    {
        double n = mode switch
        {
            Norm.Full => (double)outer * inner,
            Norm.Valid => valid < 0 ? (double)outer * inner : valid,
            Norm.BatchSize => outer,
            _ => 1,
        };
        return Math.Max(1.0, n);
    }
}
