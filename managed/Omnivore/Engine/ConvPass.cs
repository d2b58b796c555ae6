// ConvPass: what a convolution layer runs each iteration, as the engine chooses and caches
// its plan for: forward only (test), or forward and backward (train), with or without
// the gradient of the layer's input (a net's first convolution reads data, which needs none).
namespace Omnivore.Engine;

public readonly record struct ConvPass(bool Backward, bool DataGradient = true)
{
    /// <summary>As in the plan cache's keys: "test", "train", "train, no data gradient".</summary>
    public override string ToString() => !Backward ? "test" : DataGradient ? "train" : "train, no data gradient";
}
