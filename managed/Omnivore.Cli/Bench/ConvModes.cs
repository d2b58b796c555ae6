// ConvModes: the convolution strategies the bench compares side by side, as options for
// the convolution engine:
//   "auto":    what `train` runs: the engine's probe picks each layer's plan among all
//              of the below (cached per machine);
//   "batched": Omnivore's batched lowering with sgemm, partitions and images per lowering
//              chosen by the probe;
//   "packed":  the batched lowering fused into Omnivore's own AVX-512 kernel (CPUs with
//              AVX-512 only), partitions chosen by the probe;
//   "caffe":   Caffe's strategy, one image lowered and multiplied at a time with a
//              multithreaded sgemm.
using Omnivore.Core;
using Omnivore.Engine;

namespace Omnivore.Cli.Bench;

public static class ConvModes
{
    public const string Auto = "auto";
    public const string Batched = "batched";
    public const string Packed = "packed";
    public const string Caffe = "caffe";

    /// <summary>Every mode, in the order the report prints them.</summary>
    public static IReadOnlyList<string> All { get; } = [Auto, Batched, Packed, Caffe];

    /// <summary>The modes this device can run.</summary>
    public static IReadOnlyList<string> Available(IDevice device) =>
        All.Where(m => m != Packed || device.ConvSupports(ConvMode.Packed)).ToList();

    /// <summary>The engine options that run `mode`.</summary>
    public static ConvEngineOptions Options(string mode) => mode switch
    {
        Auto => ConvEngineOptions.Probing,
        Batched => ConvEngineOptions.Probing with { Mode = ConvMode.Batched },
        Packed => ConvEngineOptions.Probing with { Mode = ConvMode.Packed },
        Caffe => ConvEngineOptions.Probing with { Mode = ConvMode.Caffe },
        _ => throw new OmnivoreException($"convolution mode '{mode}' is unknown (modes: {string.Join(", ", All)})"),
    };
}
