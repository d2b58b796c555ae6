// LayerRegistryTests: every registered type string creates a layer whose Type is that
// string; an unknown type fails with a message naming the layer and the type and
// listing every known type.
using Omnivore.Core;
using Omnivore.Layers;
using Omnivore.Model.Caffe;
using static Omnivore.Tests.Layers.LayerTestHelpers;

namespace Omnivore.Tests.Layers;

[TestFixture]
public class LayerRegistryTests
{
    private static readonly string[] Expected =
        ["Accuracy", "Convolution", "Data", "Deconvolution", "Dropout", "DummyData", "InnerProduct", "Input", "LRN",
         "MemoryData", "Pooling", "ReLU", "Softmax", "SoftmaxWithLoss", "Split",
         "HDF5Data", "ImageData",
         "AbsVal", "ELU", "EuclideanLoss", "Exp", "HingeLoss", "InfogainLoss", "Log", "PReLU", "Power",
         "Sigmoid", "SigmoidCrossEntropyLoss", "TanH", "Threshold",
         "ArgMax", "BatchNorm", "Bias", "Concat", "Eltwise", "Flatten", "Reshape", "Scale", "Slice"];

    [Test]
    public void KnowsTheCaffeLayerTypes()
    {
        Assert.That(LayerRegistry.KnownTypes, Is.SupersetOf(Expected));
        Assert.That(LayerRegistry.IsKnown("ReLU"), Is.True);
        Assert.That(LayerRegistry.IsKnown("relu"), Is.False, "type strings are case-sensitive, as in Caffe");
    }

    [TestCaseSource(nameof(Expected))]
    public void CreatesALayerOfThatType(string type)
    {
        using var layer = Create(new LayerParameter { Name = "l", Type = type });
        Assert.That(layer.Type, Is.EqualTo(type));
        Assert.That(layer.Name, Is.EqualTo("l"));
    }

    [Test]
    public void UnknownTypeNamesTheLayerAndListsKnownTypes()
    {
        var e = Assert.Throws<OmnivoreException>(() => Create(new LayerParameter { Name = "fancy1", Type = "FancyNorm" }));
        Assert.That(e!.Message, Does.Contain("layer 'fancy1'").And.Contain("'FancyNorm'"));
        foreach (var t in Expected) Assert.That(e.Message, Does.Contain(t));
    }
}
