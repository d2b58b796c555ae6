// ConvModes: the convolution strategies the bench compares side by side.
//   "batched": Omnivore's batched lowering (a chunk of images, one sgemm per group);
//   "caffe":   Caffe's strategy (lower and multiply one image at a time), when the engine offers it.
// MERGE HOOK: the convolution engine's mode switch (the `--conv-mode batched|caffe` option of
// train/time) lives on another branch. Wire it here: list "caffe" in Available and make Apply
// select the mode for nets built inside the returned scope (and restore the previous mode on
// Dispose). Until then only "batched", the engine's only mode, is available.
namespace Omnivore.Cli.Bench;

public static class ConvModes
{
    public const string Batched = "batched";
    public const string Caffe = "caffe";

    /// <summary>The modes this build can run.</summary>
    public static IReadOnlyList<string> Available { get; } = [Batched];

    /// <summary>Selects `mode` for nets built until the scope is disposed.</summary>
    public static IDisposable Apply(string mode)
    {
        if (!Available.Contains(mode))
            throw new Core.OmnivoreException($"convolution mode '{mode}' is not available in this build (available: {string.Join(", ", Available)})");
        return new Scope();
    }

    private sealed class Scope : IDisposable
    {
        public void Dispose() { }
    }
}
