// LayerRegistry: maps a prototxt layer `type` string to the class that implements it.
// An unknown type fails with the list of known types.
using Omnivore.Core;

namespace Omnivore.Layers;

public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<LayerContext, Layer>> Factories = new()
    {
        ["Accuracy"] = c => new AccuracyLayer(c),
        ["ArgMax"] = c => new ArgMaxLayer(c),
        ["BatchNorm"] = c => new BatchNormLayer(c),
        ["Bias"] = c => new BiasLayer(c),
        ["Concat"] = c => new ConcatLayer(c),
        ["Convolution"] = c => new ConvolutionLayer(c),
        ["Data"] = c => new DataLayer(c),
        ["Dropout"] = c => new DropoutLayer(c),
        ["DummyData"] = c => new DummyDataLayer(c),
        ["Eltwise"] = c => new EltwiseLayer(c),
        ["Flatten"] = c => new FlattenLayer(c),
        ["InnerProduct"] = c => new InnerProductLayer(c),
        ["Input"] = c => new InputLayer(c),
        ["LRN"] = c => new LrnLayer(c),
        ["Pooling"] = c => new PoolingLayer(c),
        ["ReLU"] = c => new ReluLayer(c),
        ["Reshape"] = c => new ReshapeLayer(c),
        ["Scale"] = c => new ScaleLayer(c),
        ["Slice"] = c => new SliceLayer(c),
        ["Softmax"] = c => new SoftmaxLayer(c),
        ["SoftmaxWithLoss"] = c => new SoftmaxWithLossLayer(c),
        ["Split"] = c => new SplitLayer(c),
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
