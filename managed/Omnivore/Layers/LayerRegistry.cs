// LayerRegistry: maps a prototxt layer `type` string to the class that implements it.
// An unknown type fails with the list of known types.
using Omnivore.Core;

namespace Omnivore.Layers;

public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerContext, Layer>> Factories = new()
    {
        ["AbsVal"] = c => new AbsValLayer(c),
        ["Accuracy"] = c => new AccuracyLayer(c),
        ["ArgMax"] = c => new ArgMaxLayer(c),
        ["BatchNorm"] = c => new BatchNormLayer(c),
        ["Bias"] = c => new BiasLayer(c),
        ["Concat"] = c => new ConcatLayer(c),
        ["Convolution"] = c => new ConvolutionLayer(c),
        ["Data"] = c => new DataLayer(c),
        ["Deconvolution"] = c => new DeconvolutionLayer(c),
        ["Dropout"] = c => new DropoutLayer(c),
        ["DummyData"] = c => new DummyDataLayer(c),
        ["HDF5Data"] = c => new Hdf5DataLayer(c),
        ["ImageData"] = c => new ImageDataLayer(c),
        ["ELU"] = c => new EluLayer(c),
        ["EuclideanLoss"] = c => new EuclideanLossLayer(c),
        ["Exp"] = c => new ExpLayer(c),
        ["HingeLoss"] = c => new HingeLossLayer(c),
        ["InfogainLoss"] = c => new InfogainLossLayer(c),
        ["Eltwise"] = c => new EltwiseLayer(c),
        ["Flatten"] = c => new FlattenLayer(c),
        ["InnerProduct"] = c => new InnerProductLayer(c),
        ["Input"] = c => new InputLayer(c),
        ["Log"] = c => new LogLayer(c),
        ["LRN"] = c => new LrnLayer(c),
        ["MemoryData"] = c => new MemoryDataLayer(c),
        ["Pooling"] = c => new PoolingLayer(c),
        ["Power"] = c => new PowerLayer(c),
        ["PReLU"] = c => new PReluLayer(c),
        ["ReLU"] = c => new ReluLayer(c),
        ["Sigmoid"] = c => new SigmoidLayer(c),
        ["SigmoidCrossEntropyLoss"] = c => new SigmoidCrossEntropyLossLayer(c),
        ["Reshape"] = c => new ReshapeLayer(c),
        ["Scale"] = c => new ScaleLayer(c),
        ["Slice"] = c => new SliceLayer(c),
        ["Softmax"] = c => new SoftmaxLayer(c),
        ["SoftmaxWithLoss"] = c => new SoftmaxWithLossLayer(c),
        ["Split"] = c => new SplitLayer(c),
        ["TanH"] = c => new TanHLayer(c),
        ["Threshold"] = c => new ThresholdLayer(c),
    };

    public static IReadOnlyCollection<string> KnownTypes => Factories.Keys;

    public static bool IsKnown(string type) => Factories.ContainsKey(type);

    public static Layer Create(LayerContext context)
    {
        var type = context.Param.Type;
        if (!Factories.TryGetValue(type, out var factory))
            throw new OmnivoreException(
                $"layer '{context.Param.Name}': type '{type}' is not implemented in Omnivore " +
                $"(known types: {string.Join(", ", Factories.Keys.Order())})");
        return factory(context);
    }
}
