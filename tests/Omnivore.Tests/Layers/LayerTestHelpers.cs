// LayerTestHelpers: small shared helpers for the layer tests: build a layer from a
// prototxt snippet on the CPU device, make blobs filled with seeded random values, and
// compare float arrays with a tolerance that reports the first mismatching index.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Layers;

internal static class LayerTestHelpers
{
    public static IDevice Device => CpuFixture.Device;

    /// <summary>Parses a LayerParameter from text format.</summary>
    public static LayerParameter Param(string text) => TextFormat.Parse<LayerParameter>(text, "test");

    /// <summary>Creates a layer through the registry (not yet set up).</summary>
    public static Layer Create(LayerParameter p, Phase phase = Phase.Train, long seed = 1701) =>
        LayerRegistry.Create(new LayerContext(p, Device, phase, new Rng(seed)));

    public static Layer Create(string text, Phase phase = Phase.Train, long seed = 1701) => Create(Param(text), phase, seed);

    /// <summary>Creates a layer and runs SetUp on the given blobs.</summary>
    public static Layer SetUp(string text, Blob[] bottom, Blob[] top, Phase phase = Phase.Train, long seed = 1701)
    {
        var layer = Create(text, phase, seed);
        layer.SetUp(bottom, top);
        return layer;
    }

    public static Blob NewBlob(string name, params int[] shape) => new(Device, name, shape);

    /// <summary>A blob of the given shape with uniform values in [min, max) from a fixed seed.</summary>
    public static Blob RandomBlob(string name, int seed, float min, float max, params int[] shape)
    {
        var b = new Blob(Device, name, shape);
        b.UploadData(RandomValues(b.Count, seed, min, max));
        return b;
    }

    public static float[] RandomValues(long count, int seed, float min, float max)
    {
        var rng = new Rng(seed);
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = rng.Uniform(min, max);
        return v;
    }

    /// <summary>Distinct values spaced by `spacing`, in a seeded random order (no ties for max pooling).</summary>
    public static float[] DistinctValues(int count, int seed, float spacing = 0.1f)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (i - count / 2) * spacing;
        var rng = new Rng(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (v[i], v[j]) = (v[j], v[i]);
        }
        return v;
    }

    /// <summary>Asserts |actual - expected| &lt;= tol * max(1, |expected|) elementwise.</summary>
    public static void AssertClose(float[] actual, float[] expected, float tol = 1e-5f, string what = "")
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        for (int i = 0; i < actual.Length; i++)
        {
            float bound = tol * Math.Max(1f, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= bound))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (tolerance {bound:G3})");
        }
    }

    /// <summary>Backward adds to the parameter diffs: starting from c gives c + (gradient from zero).</summary>
    public static void AssertParamGradientsAccumulate(Layer layer, Blob bottom, Blob top)
    {
        layer.Forward([bottom], [top]);
        top.UploadDiff(RandomValues(top.Count, 99, -1, 1));
        foreach (var p in layer.Params) p.Device.Set(p.Diff, 0f);
        layer.Backward([top], [true], [bottom]);
        var fresh = layer.Params.Select(p => p.DownloadDiff()).ToArray();
        foreach (var p in layer.Params) p.Device.Set(p.Diff, 0.25f);
        layer.Backward([top], [true], [bottom]);
        for (int i = 0; i < fresh.Length; i++)
            AssertClose(layer.Params[i].DownloadDiff(), fresh[i].Select(g => g + 0.25f).ToArray(), 1e-5f, $"param {i} diff");
    }

    /// <summary>Disposes a layer and blobs (distinct ones only, for in-place setups).</summary>
    public static void DisposeAll(Layer? layer, params Blob[] blobs)
    {
        layer?.Dispose();
        foreach (var b in blobs.Distinct()) b.Dispose();
    }
}
