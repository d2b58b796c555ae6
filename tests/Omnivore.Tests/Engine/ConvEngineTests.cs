// ConvEngineTests: the convolution engine's plan choice: the probe picks a measured plan
// whose workspace fits the memory budget, the per-machine cache round-trips (a second
// engine reads the plan back without probing), forced options (the command line's
// --conv-mode, --partitions, --images-per-lowering) win over probe and cache, and the
// workspace is shared and grows only as needed; with AllowProbe off (a scheduler
// replica inside a concurrent phase) nothing is probed: a measured shape's plan is
// fitted to the new batch, an unmeasured shape gets the heuristic.
using Omnivore.Cli.Commands;
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Engine;

[TestFixture]
public class ConvEngineTests
{
    private static IDevice Device => CpuFixture.Device;
    private string _dir = "";

    // (C8 12x12 k3 p1) -> 16, n 9: lowered matrix 72 x 144 floats per image.
    private static readonly ConvShape Shape = new(new WindowGeometry(8, 12, 12, 3, 3, 1, 1, 1, 1), 16, 1);

    [SetUp]
    public void MakeDir() => _dir = Directory.CreateTempSubdirectory("omnivore-conv-").FullName;

    [TearDown]
    public void RemoveDir() => Directory.Delete(_dir, recursive: true);

    private string CacheFile => Path.Combine(_dir, "sub", "plans.json");

    [Test]
    public void ProbePicksTheFastestPlanWithinTheBudget()
    {
        long budget = Device.ConvWorkspaceFloats(Shape, new ConvPlan(1, 4)) * 4; // bytes: 1 x 4 fits, 1 x 9 does not
        using var engine = new ConvEngine(Device, new ConvEngineOptions { Probe = true, CachePath = CacheFile, MemoryBudgetBytes = budget });
        var candidates = engine.Candidates(Shape, 9);
        Assert.That(candidates, Does.Contain(ConvPlan.Caffe));
        Assert.That(candidates, Does.Not.Contain(new ConvPlan(1, 9)), "over budget");
        Assert.That(candidates.All(p => Device.ConvWorkspaceFloats(Shape, p) * 4 <= budget));
        var choice = engine.Choose("conv", Shape, 9, backward: true);
        Assert.That(choice.Source, Is.EqualTo("probe"));
        Assert.That(choice.WorkspaceFloats * 4, Is.LessThanOrEqualTo(budget));
        Assert.That(choice.Timings, Has.Count.EqualTo(candidates.Count));
        Assert.That(choice.Timings.All(t => t.MsPerImage > 0));
        Assert.That(choice.Plan, Is.EqualTo(ConvEngine.Best(choice.Timings).Plan));
        Assert.That(engine.WorkspaceBytes, Is.LessThanOrEqualTo(budget));
        Assert.That(ConvEngine.Describe(choice), Does.Contain("probe ms/image").And.Contain("caffe"));
    }

    [Test]
    public void PlansWithoutTheDataGradientAreProbedAndCachedApart()
    {
        using (var engine = new ConvEngine(Device, new ConvEngineOptions { Probe = true, CachePath = CacheFile }))
        {
            var without = engine.Choose("conv1", Shape, 9, backward: true, dataGradient: false);
            var with = engine.Choose("conv2", Shape, 9, backward: true);
            Assert.That((without.Source, with.Source), Is.EqualTo(("probe", "probe")), "two passes, two probes");
        }
        Assert.That(new ConvPlanCache(CacheFile).Count, Is.EqualTo(2));
        Assert.That(File.ReadAllText(CacheFile), Does.Contain("| train, no data gradient |").And.Contain("| train |"));
        Assert.That(new ConvPass(false, false).ToString(), Is.EqualTo("test"));
    }

    [Test]
    public void TheNetTellsEachConvolutionWhetherItsInputNeedsAGradient()
    {
        // conv1 reads the data (no gradient); conv2 reads conv1's output; force_backward asks for all.
        var text = Omnivore.Tests.Nets.ConvReluFusionTests.NetText("", "conv1").Replace("""layer { name: "ip" """,
            """layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" convolution_param { num_output: 3 kernel_size: 3 } } layer { name: "ip" """)
            .Replace("bottom: \"conv1\" top: \"ip\"", "bottom: \"conv2\" top: \"ip\"");
        using var conv = new ConvEngine(Device, new ConvEngineOptions { CachePath = "" });
        Omnivore.Nets.Net Build(string t) => new(Omnivore.Model.TextFormat.Parse<Omnivore.Model.Caffe.NetParameter>(t, "two.prototxt"), Device,
            new Rng(3), new Omnivore.Model.Caffe.NetState { Phase = Omnivore.Model.Caffe.Phase.Train }, conv: conv);
        using (var net = Build(text))
        {
            Assert.That(((Omnivore.Layers.ConvolutionLayer)net.Layer("conv1")).DataGradient, Is.False);
            Assert.That(((Omnivore.Layers.ConvolutionLayer)net.Layer("conv2")).DataGradient, Is.True);
        }
        using (var forced = Build("force_backward: true\n" + text))
            Assert.That(((Omnivore.Layers.ConvolutionLayer)forced.Layer("conv1")).DataGradient, Is.True);
    }

    [Test]
    public void CacheRoundTrips()
    {
        var options = new ConvEngineOptions { Probe = true, CachePath = CacheFile };
        ConvChoice first;
        using (var engine = new ConvEngine(Device, options))
            first = engine.Choose("conv", Shape, 9, backward: true);
        Assert.That(File.Exists(CacheFile));
        var cache = new ConvPlanCache(CacheFile);
        Assert.That(cache.Count, Is.EqualTo(1));
        using var again = new ConvEngine(Device, options);
        var second = again.Choose("conv", Shape, 9, backward: true);
        Assert.That(second.Source, Is.EqualTo("cache"));
        Assert.That(second.Plan, Is.EqualTo(first.Plan));
        Assert.That(second.Timings.Select(t => t.MsPerImage), Is.EqualTo(first.Timings.Select(t => t.MsPerImage)));
        // Another batch size is another key: probed again.
        Assert.That(again.Choose("conv", Shape, 4, backward: true).Source, Is.EqualTo("probe"));
    }

    [Test]
    public void WithoutProbingNowAMeasuredShapeLendsItsPlanToOtherBatches()
    {
        using var engine = new ConvEngine(Device, new ConvEngineOptions { Probe = true, CachePath = CacheFile }) { AllowProbe = false };
        var before = engine.Choose("conv", Shape, 9, backward: true);
        Assert.That(before.Source, Is.EqualTo("heuristic, not probed now"));
        Assert.That(File.Exists(CacheFile), Is.False, "nothing was measured");

        engine.AllowProbe = true;
        var measured = engine.Choose("conv", Shape, 8, backward: true);
        Assert.That(measured.Source, Is.EqualTo("probe"));
        engine.AllowProbe = false;

        var other = engine.Choose("conv", Shape, 3, backward: true);
        Assert.That(other.Source, Is.EqualTo("measured at batch 8"));
        Assert.That(other.Timings, Is.Empty, "no probe ran");
        Assert.That(other.Plan.Mode, Is.EqualTo(measured.Plan.Mode));
        Assert.That(other.Plan.Partitions, Is.EqualTo(measured.Plan.Partitions));
        Assert.That(other.Plan.ImagesPerLowering, Is.EqualTo(Math.Min(measured.Plan.ImagesPerLowering, Math.Max(1, (3 + measured.Plan.Partitions - 1) / measured.Plan.Partitions))));
        Assert.That(new ConvPlanCache(CacheFile).Count, Is.EqualTo(1), "only the allowed probe was cached");
        // The forward-only use of the same shape was never measured.
        Assert.That(engine.Choose("conv", Shape, 3, backward: false).Source, Is.EqualTo("heuristic, not probed now"));
    }

    [Test]
    public void UnreadableCacheIsIgnored()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CacheFile)!);
        File.WriteAllText(CacheFile, "{ not json");
        using var engine = new ConvEngine(Device, new ConvEngineOptions { Probe = true, CachePath = CacheFile });
        Assert.That(engine.Choose("conv", Shape, 3, backward: false).Source, Is.EqualTo("probe"));
        Assert.That(new ConvPlanCache(CacheFile).Count, Is.EqualTo(1));
    }

    [Test]
    public void CommandLineOverridesWin()
    {
        var forced = ConvEngineCli.Parse("auto", partitions: 3, imagesPerLowering: 2, budgetMiB: 64, noProbe: false, cache: CacheFile);
        Assert.That(forced.Mode, Is.EqualTo(ConvMode.Batched));
        using (var engine = new ConvEngine(Device, forced))
        {
            var c = engine.Choose("conv", Shape, 9, backward: true);
            Assert.That((c.Plan, c.Source), Is.EqualTo((new ConvPlan(3, 2), "forced")));
        }
        var caffe = ConvEngineCli.Parse("caffe", null, null, 64, false, CacheFile);
        using (var engine = new ConvEngine(Device, caffe))
            Assert.That(engine.Choose("conv", Shape, 9, true).Plan, Is.EqualTo(ConvPlan.Caffe));
        // Only P forced: the probe chooses B among plans with that P.
        var onlyP = ConvEngineCli.Parse("batched", 2, null, 64, false, CacheFile);
        using (var engine = new ConvEngine(Device, onlyP))
        {
            var c = engine.Choose("conv", Shape, 9, true);
            Assert.That(c.Plan.Partitions, Is.EqualTo(2));
            Assert.That(c.Timings.All(t => t.Partitions == 2 && t.Mode == ConvMode.Batched));
        }
        var noProbe = ConvEngineCli.Parse("auto", null, null, 64, noProbe: true, CacheFile);
        using (var engine = new ConvEngine(Device, noProbe))
            Assert.That(engine.Choose("conv", Shape, 9, true).Source, Is.EqualTo("heuristic"));
        Assert.Throws<OmnivoreException>(() => ConvEngineCli.Parse("fast", null, null, 64, false, null));
        Assert.Throws<OmnivoreException>(() => ConvEngineCli.Parse("packed", null, 2, 64, false, null), "packed has no images per lowering");
        Assert.Throws<OmnivoreException>(() => ConvEngineCli.Parse("caffe", 2, null, 64, false, null));
        Assert.Throws<OmnivoreException>(() => ConvEngineCli.Parse("auto", 0, null, 64, false, null));
        Assert.Throws<OmnivoreException>(() => ConvEngineCli.Parse("auto", null, null, 0, false, null));
    }

    [Test]
    public void PackedKeepsThePlaceUnlessAnotherPlanIsClearlyFaster()
    {
        ConvTiming T(ConvMode mode, double ms) => new(2, mode == ConvMode.Batched ? 4 : 1, mode, ms);
        Assert.That(ConvEngine.Best([T(ConvMode.Batched, 0.93), T(ConvMode.Packed, 1.0), T(ConvMode.Caffe, 1.2)]).Mode, Is.EqualTo(ConvMode.Packed));
        Assert.That(ConvEngine.Best([T(ConvMode.Batched, 0.89), T(ConvMode.Packed, 1.0)]).Mode, Is.EqualTo(ConvMode.Batched));
        Assert.That(ConvEngine.Best([T(ConvMode.Caffe, 0.9), T(ConvMode.Batched, 1.0)]).Mode, Is.EqualTo(ConvMode.Caffe));
    }

    [Test]
    public void PackedEngineIsACandidateWhereTheCpuRunsIt()
    {
        using var auto = new ConvEngine(Device, new ConvEngineOptions { CachePath = "" });
        var candidates = auto.Candidates(Shape, 9);
        if (!Device.ConvSupports(ConvMode.Packed))
        {
            Assert.That(candidates.Any(p => p.Mode == ConvMode.Packed), Is.False);
            var forced = new ConvEngine(Device, ConvEngineCli.Parse("packed", null, null, 64, true, ""));
            var e = Assert.Throws<OmnivoreException>(() => forced.Choose("conv", Shape, 9, true))!;
            Assert.That(e.Message, Does.Contain("AVX-512"));
            forced.Dispose();
            return;
        }
        Assert.That(candidates, Does.Contain(ConvPlan.Packed(Device.ConvMaxPartitions)));
        // Without a probe the packed engine is the default: the fastest on most layers measured, and the smallest workspace.
        var choice = auto.Choose("conv", Shape, 9, true);
        Assert.That((choice.Plan, choice.Source), Is.EqualTo((ConvPlan.Packed(Device.ConvMaxPartitions), "heuristic")));
        using var packed = new ConvEngine(Device, ConvEngineCli.Parse("packed", 3, null, 64, false, CacheFile));
        var probed = packed.Choose("conv", Shape, 9, true);
        Assert.That(probed.Plan, Is.EqualTo(ConvPlan.Packed(3)));
        Assert.That(probed.Timings.All(t => t.Mode == ConvMode.Packed));
        Assert.That(ConvEngine.Short(probed.Plan), Is.EqualTo("3xpacked"));
        using var batched = new ConvEngine(Device, ConvEngineCli.Parse("batched", null, null, 64, false, ""));
        Assert.That(batched.Candidates(Shape, 9).Any(p => p.Mode != ConvMode.Batched), Is.False);
    }

    [Test]
    public void SameShapeIsChosenOnceAndWorkspaceIsShared()
    {
        using var engine = new ConvEngine(Device, new ConvEngineOptions { Partitions = 2, ImagesPerLowering = 3, CachePath = "" });
        var a = engine.Choose("a", Shape, 9, true);
        var b = engine.Choose("b", Shape, 9, true);
        Assert.That(b.Plan, Is.EqualTo(a.Plan));
        Assert.That(engine.Choices.Select(c => c.Layer), Is.EqualTo(new[] { "a", "b" }));
        var ws = engine.Workspace(a.WorkspaceFloats);
        Assert.That(engine.Workspace(10).Ptr, Is.EqualTo(ws.Ptr), "a smaller request reuses the buffer");
        Assert.That(engine.WorkspaceBytes, Is.EqualTo(a.WorkspaceFloats * 4));
    }
}
