// Tests for NetFilter: Caffe's StateMeetsRule (phase, min/max level, stage, not_stage),
// the include/exclude decision per layer (and the error when a layer gives both), and
// filtering a whole net, directly and through the Net constructor (with a net-level state).
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Nets;

[TestFixture]
public class NetFilterTests
{
    private static NetState State(Phase phase, int level = 0, params string[] stages)
    {
        var s = new NetState { Phase = phase, Level = level };
        s.Stage.AddRange(stages);
        return s;
    }

    private static NetStateRule Rule(string text) => TextFormat.Parse<NetStateRule>(text, "rule.prototxt");

    private static LayerParameter Layer(string text) => TextFormat.Parse<LayerParameter>(text, "layer.prototxt");

    [Test]
    public void EmptyRuleIsMetByEveryState()
    {
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Train), new NetStateRule()), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 7, "x"), new NetStateRule()), Is.True);
    }

    [Test]
    public void PhaseMustMatch()
    {
        var rule = Rule("phase: TRAIN");
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Train), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test), rule), Is.False);
    }

    [TestCase(1, false)]
    [TestCase(2, true)]
    [TestCase(3, true)]
    public void MinLevelIsInclusive(int level, bool meets) =>
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, level), Rule("min_level: 2")), Is.EqualTo(meets));

    [TestCase(-1, true)]
    [TestCase(1, true)]
    [TestCase(2, false)]
    public void MaxLevelIsInclusive(int level, bool meets) =>
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, level), Rule("max_level: 1")), Is.EqualTo(meets));

    [Test]
    public void EveryStageOfTheRuleMustBePresent()
    {
        var rule = Rule("stage: \"a\" stage: \"b\"");
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "a", "b", "c"), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "b", "a"), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "a"), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0), rule), Is.False);
    }

    [Test]
    public void NoNotStageMayBePresent()
    {
        var rule = Rule("not_stage: \"deploy\" not_stage: \"debug\"");
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "train"), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "debug"), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "train", "deploy"), rule), Is.False);
    }

    [Test]
    public void AllConditionsOfOneRuleMustHold()
    {
        var rule = Rule("phase: TEST min_level: 1 max_level: 3 stage: \"s\" not_stage: \"n\"");
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 2, "s"), rule), Is.True);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Train, 2, "s"), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 0, "s"), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 4, "s"), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 2), rule), Is.False);
        Assert.That(NetFilter.StateMeetsRule(State(Phase.Test, 2, "s", "n"), rule), Is.False);
    }

    [Test]
    public void LayerWithoutRulesIsIncluded()
    {
        var layer = Layer("name: \"l\" type: \"ReLU\"");
        Assert.That(NetFilter.Includes(State(Phase.Train), layer), Is.True);
        Assert.That(NetFilter.Includes(State(Phase.Test), layer), Is.True);
    }

    [Test]
    public void IncludeRulesAreAlternatives()
    {
        var layer = Layer("name: \"l\" type: \"ReLU\" include { phase: TRAIN } include { stage: \"x\" }");
        Assert.That(NetFilter.Includes(State(Phase.Train), layer), Is.True);
        Assert.That(NetFilter.Includes(State(Phase.Test, 0, "x"), layer), Is.True);
        Assert.That(NetFilter.Includes(State(Phase.Test), layer), Is.False);
    }

    [Test]
    public void AnyMatchingExcludeRuleExcludes()
    {
        var layer = Layer("name: \"l\" type: \"ReLU\" exclude { phase: TEST } exclude { min_level: 5 }");
        Assert.That(NetFilter.Includes(State(Phase.Train), layer), Is.True);
        Assert.That(NetFilter.Includes(State(Phase.Test), layer), Is.False);
        Assert.That(NetFilter.Includes(State(Phase.Train, 5), layer), Is.False);
    }

    [Test]
    public void IncludeAndExcludeTogetherIsAnErrorNamingTheLayer()
    {
        var layer = Layer("name: \"both\" type: \"ReLU\" include { phase: TRAIN } exclude { phase: TEST }");
        var e = Assert.Throws<OmnivoreException>(() => NetFilter.Includes(State(Phase.Train), layer));
        Assert.That(e!.Message, Does.Contain("'both'").And.Contain("include").And.Contain("exclude"));
    }

    private const string PhasedNet = """
        name: "phased"
        layer { name: "train_in" type: "Input" top: "data" include { phase: TRAIN }
                input_param { shape { dim: 4 dim: 3 } } }
        layer { name: "test_in" type: "Input" top: "data" include { phase: TEST }
                input_param { shape { dim: 2 dim: 3 } } }
        layer { name: "debug_relu" type: "ReLU" bottom: "data" top: "relu" include { stage: "debug" } }
        layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" exclude { stage: "deploy" }
                inner_product_param { num_output: 2 } }
        """;

    [Test]
    public void FilterKeepsTheIncludedLayersInOrderAndLeavesTheInputAlone()
    {
        var net = TextFormat.Parse<NetParameter>(PhasedNet, "phased.prototxt");
        var train = NetFilter.Filter(net, State(Phase.Train));
        Assert.That(train.Layer.Select(l => l.Name), Is.EqualTo(new[] { "train_in", "ip" }));
        var testDebug = NetFilter.Filter(net, State(Phase.Test, 0, "debug"));
        Assert.That(testDebug.Layer.Select(l => l.Name), Is.EqualTo(new[] { "test_in", "debug_relu", "ip" }));
        var deploy = NetFilter.Filter(net, State(Phase.Test, 0, "deploy"));
        Assert.That(deploy.Layer.Select(l => l.Name), Is.EqualTo(new[] { "test_in" }));
        Assert.That(net.Layer, Has.Count.EqualTo(4), "the source net is not modified");
        Assert.That(deploy.Name, Is.EqualTo("phased"));
    }

    [Test]
    public void NetBuildsOnlyTheLayersOfItsPhase()
    {
        var param = TextFormat.Parse<NetParameter>(PhasedNet, "phased.prototxt");
        using var train = new Net(param, CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        using var test = new Net(param, CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Test });
        Assert.That(train.Layers.Select(l => l.Name), Is.EqualTo(new[] { "train_in", "ip" }));
        Assert.That(train.Blob("ip").Shape, Is.EqualTo(new[] { 4, 2 }));
        Assert.That(test.Layers.Select(l => l.Name), Is.EqualTo(new[] { "test_in", "ip" }));
        Assert.That(test.Blob("ip").Shape, Is.EqualTo(new[] { 2, 2 }));
        Assert.That(test.Phase, Is.EqualTo(Phase.Test));
    }

    [Test]
    public void NetLevelStateIsMergedWithTheGivenState()
    {
        var param = TextFormat.Parse<NetParameter>(PhasedNet + "\nstate { stage: \"debug\" }", "phased.prototxt");
        using var net = new Net(param, CpuFixture.Device, new Rng(1), new NetState { Phase = Phase.Train });
        Assert.That(net.Phase, Is.EqualTo(Phase.Train));
        // "data" now has two readers, so a split follows its producer.
        Assert.That(net.Layers.Select(l => l.Name),
                    Is.EqualTo(new[] { "train_in", "data_train_in_0_split", "debug_relu", "ip" }));
    }
}
