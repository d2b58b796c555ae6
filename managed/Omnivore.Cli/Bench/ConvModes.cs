// ConvModes: the convolution strategies the bench compares side by side, as options for
// the convolution engine:
//   "batched": Omnivore's batched lowering, partitions and images per lowering chosen by
//              the engine's probe (cached per machine);
//   "caffe":   Caffe's strategy, one image lowered and multiplied at a time with a
//              multithreaded sgemm.
using Omnivore.Engine;

namespace Omnivore.Cli.Bench;

public static class ConvModes
{
    public const string Batched = "batched";
    public const string Caffe = "caffe";

    /// <summary>The modes this build can run.</summary>
    public static IReadOnlyList<string> Available { get; } = [Batched, Caffe];

    /// <summary>The engine options that run `mode`.</summary>
    public static ConvEngineOptions Options(string mode) => mode switch
    {
        Batched => ConvEngineOptions.Probing with { Mode = Core.ConvMode.Batched },
        Caffe => ConvEngineOptions.Probing with { Mode = Core.ConvMode.Caffe },
        _ => throw new Core.OmnivoreException(
            $"convolution mode '{mode}' is not available in this build (available: {string.Join(", ", Available)})"),
    };
}
