// Filler: initial values for parameter blobs from a Caffe FillerParameter (constant,
// uniform, gaussian with optional sparsity, xavier, msra, positive_unitball). Values are
// drawn on the host from the run's Rng and uploaded once.
using Omnivore.Model.Caffe;

namespace Omnivore.Core;

public static class Filler
{
    public static readonly string[] Types = ["constant", "uniform", "gaussian", "xavier", "msra", "positive_unitball"];

    public static void Fill(Blob blob, FillerParameter? p, Rng rng, string layerName)
    {
        p ??= new FillerParameter();
        var values = Generate(blob.Shape, p, rng, layerName);
        blob.UploadData(values);
    }

    public static float[] Generate(IReadOnlyList<int> shape, FillerParameter p, Rng rng, string layerName)
    {
        long count = 1;
        foreach (var d in shape) count *= d;
        var v = new float[count];
        switch (p.Type)
        {
            case "constant":
                Array.Fill(v, p.Value);
                break;
            case "uniform":
                for (long i = 0; i < count; i++) v[i] = rng.Uniform(p.Min, p.Max);
                break;
            case "gaussian":
                for (long i = 0; i < count; i++) v[i] = rng.Gaussian(p.Mean, p.Std);
                if (p.Sparse >= 0) Sparsify(v, shape, p.Sparse, rng, layerName);
                break;
            case "xavier":
            {
                var scale = (float)Math.Sqrt(3.0 / FanNorm(shape, p.VarianceNorm, count));
                for (long i = 0; i < count; i++) v[i] = rng.Uniform(-scale, scale);
                break;
            }
            case "msra":
            {
                var std = (float)Math.Sqrt(2.0 / FanNorm(shape, p.VarianceNorm, count));
                for (long i = 0; i < count; i++) v[i] = rng.Gaussian(0, std);
                break;
            }
            case "positive_unitball":
            {
                int rows = shape.Count > 0 ? shape[0] : 1;
                long dim = rows == 0 ? 0 : count / rows;
                for (long i = 0; i < count; i++) v[i] = rng.Uniform(0, 1);
                for (int r = 0; r < rows; r++)
                {
                    double sum = 0;
                    for (long j = 0; j < dim; j++) sum += v[r * dim + j];
                    for (long j = 0; j < dim; j++) v[r * dim + j] = (float)(v[r * dim + j] / sum);
                }
                break;
            }
            default:
                throw new OmnivoreException(
                    $"layer '{layerName}': unknown filler type '{p.Type}' (known: {string.Join(", ", Types)})");
        }
        return v;
    }

    /// <summary>fan_in = count / num, fan_out = count / channels, as Caffe's xavier/msra.</summary>
    private static double FanNorm(IReadOnlyList<int> shape, FillerParameter.Types.VarianceNorm norm, long count)
    {
        double fanIn = shape.Count > 0 && shape[0] > 0 ? (double)count / shape[0] : count;
        double fanOut = shape.Count > 1 && shape[1] > 0 ? (double)count / shape[1] : count;
        return norm switch
        {
            FillerParameter.Types.VarianceNorm.FanOut => fanOut,
            FillerParameter.Types.VarianceNorm.Average => (fanIn + fanOut) / 2,
            _ => fanIn,
        };
    }

    private static void Sparsify(float[] v, IReadOnlyList<int> shape, int sparse, Rng rng, string layerName)
    {
        if (shape.Count < 2)
            throw new OmnivoreException($"layer '{layerName}': sparse gaussian filler needs a blob with at least 2 axes");
        int numOutputs = shape[0];
        double keep = (double)sparse / numOutputs;
        for (long i = 0; i < v.Length; i++)
            if (!rng.Bernoulli(keep)) v[i] = 0;
    }
}
