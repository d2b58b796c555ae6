// ForceBackwardTests: force_backward makes every layer run backward, down to the net's
// inputs, even without a loss (used to compute input gradients, e.g. saliency maps); a
// label input is still never propagated to.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class ForceBackwardTests
{
    private static Net Build(bool force, string tail) => new(TextFormat.Parse<NetParameter>($$"""
        force_backward: {{(force ? "true" : "false")}}
        layer { name: "in" type: "Input" top: "data" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
                inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 1 } } }
        {{tail}}
        """, "force"), CpuFixture.Device, new Rng(7), new NetState { Phase = Phase.Test });

    [Test]
    public void WithoutLossOnlyForceBackwardComputesInputGradients()
    {
        const string tail = """layer { name: "prob" type: "Softmax" bottom: "ip" top: "prob" }""";
        using var plain = Build(false, tail);
        Assert.That(Enumerable.Range(0, plain.Layers.Count).Any(plain.LayerNeedsBackward), Is.False);
        using var forced = Build(true, tail);
        Assert.That(Enumerable.Range(0, forced.Layers.Count).All(forced.LayerNeedsBackward), Is.True);
        forced.Blob("data").UploadData([1, 2, 3, -1, 0, 2]);
        forced.Forward();
        forced.Blob("prob").UploadDiff([1, 0, 0, 0, 0, 1, 0, 0]);
        forced.Backward();
        Assert.That(forced.Blob("data").DownloadDiff().Any(v => v != 0), Is.True, "the input received a gradient");
    }

    [Test]
    public void LabelsAreNeverPropagatedTo()
    {
        using var net = Build(true, """layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }""");
        net.Blob("data").UploadData([1, 2, 3, -1, 0, 2]);
        net.Blob("label").UploadData([0, 3]);
        Assert.DoesNotThrow(() => net.ForwardBackward());
        Assert.That(net.Blob("data").DownloadDiff().Any(v => v != 0), Is.True);
    }
}
