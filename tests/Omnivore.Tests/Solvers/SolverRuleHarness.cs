// SolverRuleHarness: shared checks for the SGD-family solver tests. Each solver test
// writes its update rule as a per-element reference (in double); the harness runs it on
// SgdSolverTests' tiny softmax classifier (known data and weights, gradient computed by
// hand; weights lr_mult 0.5 decay_mult 2, bias lr_mult 2 decay_mult 0), with L2 or L1
// weight decay applied as Caffe's Regularize, and compares weights after every step and
// every history slot at the end. It also checks the .solverstate layout (history slot 0
// for every parameter, then slot 1) and that a restored solver continues exactly like
// the original.
using NUnit.Framework;
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;
using static Omnivore.Tests.Solvers.SgdSolverTests;

namespace Omnivore.Tests.Solvers;

internal static class SolverRuleHarness
{
    /// <summary>One element's update from its regularised gradient g; updates the history
    /// values h1 (and h2 for two-slot solvers); iter is the 0-based iteration.</summary>
    internal delegate double Rule(double g, ref double h1, ref double h2, double localRate, int iter);

    private const float WeightLrMult = 0.5f, WeightDecayMult = 2f, BiasLrMult = 2f, BiasDecayMult = 0f;

    /// <summary>A solver of the given Caffe type over the classifier, made by the factory.</summary>
    internal static SgdFamilySolver Create(string type, string solverText, long seed = 1, bool knownWeights = true)
    {
        var p = Param($"type: \"{type}\" " + solverText);
        p.RandomSeed = seed;
        var net = new Net(TextFormat.Parse<NetParameter>(InputNet, "net.prototxt"), CpuFixture.Device, new Rng(seed),
                          new NetState { Phase = Phase.Train });
        var solver = (SgdFamilySolver)SolverFactory.CreateSolver(p, net, [], "solver.prototxt");
        Assert.That(solver.Type, Is.EqualTo(type));
        solver.Net.Blob("data").UploadData(X);
        solver.Net.Blob("label").UploadData(Labels);
        solver.Net.Layer("ip").Params[0].UploadData(knownWeights ? W0 : W0.Select(v => v * -0.5f + 0.01f).ToArray());
        solver.Net.Layer("ip").Params[1].UploadData(knownWeights ? B0 : B0.Select(v => v + 0.3f).ToArray());
        return solver;
    }

    private static double Sign(double x) => (0 < x ? 1 : 0) - (x < 0 ? 1 : 0);

    private static void Update(double[] p, double[] g, double[] h1, double[] h2, Rule rule, double rate, int iter,
                               float lrMult, float decayMult, float weightDecay, string regularization)
    {
        double localDecay = weightDecay * decayMult;
        for (int i = 0; i < p.Length; i++)
        {
            double reg = regularization == "L1" ? Sign(p[i]) : p[i];
            double gi = g[i] + localDecay * reg;
            p[i] -= rule(gi, ref h1[i], ref h2[i], rate * lrMult, iter);
        }
    }

    private static void AssertClose(float[] actual, double[] expected, double tolerance, string what) =>
        Assert.That(actual, Is.EqualTo(expected.Select(v => (float)v).ToArray()).Within(tolerance), what);

    private static float[] Download(DeviceBuffer b)
    {
        var host = new float[b.Length];
        CpuFixture.Device.Download(host, b);
        return host;
    }

    /// <summary>Three steps of the solver against the reference rule, rate(iter) the
    /// learning rate the reference expects; weights compared after every step.</summary>
    internal static void CheckThreeSteps(SgdFamilySolver solver, Rule rule, Func<int, double> rate, double tolerance = 2e-6)
    {
        var p = solver.Param;
        double[] w = W0.Select(v => (double)v).ToArray(), b = B0.Select(v => (double)v).ToArray();
        double[] h1w = new double[w.Length], h2w = new double[w.Length], h1b = new double[b.Length], h2b = new double[b.Length];
        bool moved = false;
        for (int iter = 0; iter < 3; iter++)
        {
            var (gw, gb) = Gradient(w, b, X, Labels);
            Update(w, gw, h1w, h2w, rule, rate(iter), iter, WeightLrMult, WeightDecayMult, p.WeightDecay, p.RegularizationType);
            Update(b, gb, h1b, h2b, rule, rate(iter), iter, BiasLrMult, BiasDecayMult, p.WeightDecay, p.RegularizationType);
            var before = solver.Net.Layer("ip").Params[0].DownloadData();
            solver.Step(1);
            Assert.That(solver.Iter, Is.EqualTo(iter + 1));
            var after = solver.Net.Layer("ip").Params[0].DownloadData();
            moved |= !after.SequenceEqual(before);
            AssertClose(after, w, tolerance, $"{solver.Type} weights after iteration {iter}");
            AssertClose(solver.Net.Layer("ip").Params[1].DownloadData(), b, tolerance, $"{solver.Type} bias after iteration {iter}");
        }
        Assert.That(moved, Is.True, "the weights moved");
        AssertClose(Download(solver.HistorySlot(0)), h1w.Concat(h1b).ToArray(), tolerance, $"{solver.Type} history slot 0");
        if (solver.HistorySlots == 2)
            AssertClose(Download(solver.HistorySlot(1)), h2w.Concat(h2b).ToArray(), tolerance, $"{solver.Type} history slot 1");
        else
            Assert.That(h2w.Concat(h2b), Has.All.EqualTo(0.0), "a one-slot rule must not use h2");
    }

    private static float[] Weights(Solver s) => s.Net.Arena.Owners.SelectMany(e => e.Blob.DownloadData()).ToArray();

    /// <summary>Two steps, snapshot: the .solverstate holds slots x 2 history blobs (slot 0 for
    /// the weights and the bias, then slot 1), shaped like the parameters and equal to the
    /// solver's history. A solver of the same type restored from it continues exactly like
    /// the original; returns the state file.</summary>
    internal static string CheckSnapshotRoundTrip(string type, string solverText, int slots, string dir)
    {
        string text = solverText + $" snapshot_prefix: \"{Path.Combine(dir, type)}\"";
        using var original = Create(type, text);
        Assert.That(original.HistorySlots, Is.EqualTo(slots));
        original.Step(2);
        var (_, stateFile) = original.Snapshot();
        var state = SolverState.Parser.ParseFrom(File.ReadAllBytes(stateFile));
        Assert.That(state.Iter, Is.EqualTo(2));
        Assert.That(state.History, Has.Count.EqualTo(2 * slots), "one blob per learnable parameter per history slot");
        for (int slot = 0; slot < slots; slot++)
        {
            Assert.That(state.History[2 * slot].Shape.Dim, Is.EqualTo(new long[] { C, K }), $"slot {slot} weights shape");
            Assert.That(state.History[2 * slot + 1].Shape.Dim, Is.EqualTo(new long[] { C }), $"slot {slot} bias shape");
            var saved = state.History[2 * slot].Data.Concat(state.History[2 * slot + 1].Data).ToArray();
            Assert.That(saved, Is.EqualTo(Download(original.HistorySlot(slot))), $"slot {slot} values");
            Assert.That(saved, Has.Some.Not.EqualTo(0f), $"slot {slot} holds history");
            Assert.That(state.History[2 * slot].Diff, Is.Empty, "history blobs carry data only");
        }

        using var restored = Create(type, text, seed: 2, knownWeights: false);
        Assert.That(Weights(restored), Is.Not.EqualTo(Weights(original)));
        restored.Restore(stateFile);
        Assert.That(restored.Iter, Is.EqualTo(2));
        Assert.That(Weights(restored), Is.EqualTo(Weights(original)));
        Assert.That(Download(restored.History), Is.EqualTo(Download(original.History)));

        original.Step(1);
        restored.Step(1);
        Assert.That(Weights(restored), Is.EqualTo(Weights(original)), "one step after restore equals one step without");
        Assert.That(Download(restored.History), Is.EqualTo(Download(original.History)));
        return stateFile;
    }

    /// <summary>A fresh temporary directory for snapshot tests.</summary>
    internal static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "omnivore-solvers-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
