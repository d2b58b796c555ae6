// SolverFactory: reads a solver.prototxt, builds the train net and the test nets it names
// (net / net_param / train_net / test_net, with train_state and test_state), seeds the
// run's random numbers, and creates the solver of the requested type (Caffe's names;
// the deprecated enum solver_type is upgraded to them as Caffe does).
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;

namespace Omnivore.Solvers;

public static class SolverFactory
{
    private delegate Solver Constructor(SolverParameter p, Net train, IReadOnlyList<Net> tests);

    private static readonly (string Type, Constructor New)[] Types =
    [
        ("SGD", (p, t, ts) => new SgdSolver(p, t, ts)),
        ("Nesterov", (p, t, ts) => new NesterovSolver(p, t, ts)),
        ("AdaGrad", (p, t, ts) => new AdaGradSolver(p, t, ts)),
        ("RMSProp", (p, t, ts) => new RmsPropSolver(p, t, ts)),
        ("AdaDelta", (p, t, ts) => new AdaDeltaSolver(p, t, ts)),
        ("Adam", (p, t, ts) => new AdamSolver(p, t, ts)),
    ];

    /// <summary>Caffe's solver type names, as written in `type`.</summary>
    public static readonly string[] KnownTypes = Types.Select(t => t.Type).ToArray();

    public static SolverParameter Load(string path)
    {
        if (!File.Exists(path)) throw new OmnivoreException($"solver file '{path}' does not exist");
        var p = TextFormat.ParseFile<SolverParameter>(path);
        UpgradeSolverType(p, path);
        UpgradeSnapshotPrefix(p, path);
        return p;
    }

    /// <summary>As Caffe 1.0: no snapshot_prefix means the solver file's path without its
    /// extension; a prefix that is a directory gets the solver file's name appended.</summary>
    public static void UpgradeSnapshotPrefix(SolverParameter p, string path)
    {
        if (!p.HasSnapshotPrefix || p.SnapshotPrefix.Length == 0)
        {
            p.SnapshotPrefix = Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path));
            Log.Info($"snapshot_prefix was not specified and is set to {p.SnapshotPrefix}");
        }
        else if (Directory.Exists(p.SnapshotPrefix))
        {
            p.SnapshotPrefix = Path.Combine(p.SnapshotPrefix, Path.GetFileNameWithoutExtension(path));
            Log.Info($"snapshot_prefix is a directory and is replaced to {p.SnapshotPrefix}");
        }
    }

    /// <summary>Caffe's solver upgrade: the deprecated solver_type enum becomes the type string;
    /// giving both is an error.</summary>
    public static void UpgradeSolverType(SolverParameter p, string path)
    {
        if (!p.HasSolverType) return;
        if (p.HasType)
            throw new OmnivoreException($"{path}: failed to upgrade solver: old solver_type field (enum) and new type " +
                                        "field (string) cannot be both specified in solver proto text");
        Log.Info($"Attempting to upgrade input file specified using deprecated 'solver_type' field (enum)': {path}");
        p.Type = p.SolverType switch
        {
            SolverParameter.Types.SolverType.Nesterov => "Nesterov",
            SolverParameter.Types.SolverType.Adagrad => "AdaGrad",
            SolverParameter.Types.SolverType.Rmsprop => "RMSProp",
            SolverParameter.Types.SolverType.Adadelta => "AdaDelta",
            SolverParameter.Types.SolverType.Adam => "Adam",
            SolverParameter.Types.SolverType.Sgd => "SGD",
            var t => throw new OmnivoreException($"{path}: unknown solver_type {(int)t}"),
        };
        p.ClearSolverType();
        Log.Info("Successfully upgraded file specified using deprecated 'solver_type' field (enum) to 'type' field (string).");
        Log.Warning("Note that future Caffe releases will only support 'type' field (string) for a solver's type.");
    }

    /// <summary>Creates the solver named by p.type (or the legacy solver_type) over nets already built.</summary>
    public static Solver CreateSolver(SolverParameter p, Net train, IReadOnlyList<Net> tests, string source = "solver")
    {
        UpgradeSolverType(p, source);
        return ConstructorOf(p.Type, source)(p, train, tests);
    }

    private static Constructor ConstructorOf(string type, string source)
    {
        foreach (var t in Types)
            if (t.Type == type) return t.New;
        throw new OmnivoreException($"{source}: unknown solver type '{type}' (known: {string.Join(", ", KnownTypes)})");
    }

    /// <param name="conv">the run's convolution engine, shared by the train and test nets (null: each net its own).</param>
    public static Solver Create(SolverParameter p, IDevice device, string solverPath, Engine.ConvEngine? conv = null)
    {
        UpgradeSolverType(p, solverPath);
        var construct = ConstructorOf(p.Type, solverPath);
        long seed = p.RandomSeed >= 0 ? p.RandomSeed : Rng.ClockSeed();
        var rng = new Rng(seed);
        var (trainParam, trainSource) = TrainNet(p, solverPath);
        var trainState = new NetState { Phase = Phase.Train };
        if (p.TrainState is not null) trainState.MergeFrom(p.TrainState);
        trainState.Phase = Phase.Train;
        Log.Info($"Creating training net from {trainSource}");
        var train = new Net(trainParam, device, rng, trainState, trainSource, conv);
        var tests = new List<Net>();
        try
        {
            var testParams = TestNets(p, trainParam, trainSource, solverPath);
            for (int i = 0; i < testParams.Count; i++)
            {
                var state = new NetState { Phase = Phase.Test };
                if (i < p.TestState.Count) state.MergeFrom(p.TestState[i]);
                Log.Info($"Creating test net (#{i}) specified by {testParams[i].Source}");
                tests.Add(new Net(testParams[i].Param, device, rng, state, testParams[i].Source, conv));
            }
            return construct(p, train, tests);
        }
        catch
        {
            train.Dispose();
            foreach (var t in tests) t.Dispose();
            throw;
        }
    }

    private static (NetParameter, string) TrainNet(SolverParameter p, string solverPath)
    {
        int given = (p.HasTrainNet ? 1 : 0) + (p.TrainNetParam is not null ? 1 : 0) + (p.HasNet ? 1 : 0) + (p.NetParam is not null ? 1 : 0);
        if (given != 1)
            throw new OmnivoreException($"{solverPath}: give exactly one of net, net_param, train_net, train_net_param (found {given})");
        if (p.TrainNetParam is not null) return (p.TrainNetParam, "train_net_param");
        if (p.NetParam is not null) return (p.NetParam, "net_param");
        var file = p.HasTrainNet ? p.TrainNet : p.Net;
        return (LoadNet(file), file);
    }

    public static NetParameter LoadNet(string file)
    {
        if (!File.Exists(file))
            throw new OmnivoreException($"net file '{file}' does not exist (paths resolve against the working directory " +
                                        $"{Environment.CurrentDirectory}, as in Caffe)");
        return NetUpgrade.UpgradeAsNeeded(TextFormat.ParseFile<NetParameter>(file), file);
    }

    private static List<(NetParameter Param, string Source)> TestNets(SolverParameter p, NetParameter train, string trainSource, string solverPath)
    {
        var result = new List<(NetParameter, string)>();
        foreach (var n in p.TestNetParam) result.Add((n, "test_net_param"));
        foreach (var f in p.TestNet) result.Add((LoadNet(f), f));
        bool generic = p.HasNet || p.NetParam is not null;
        if (generic)
        {
            int extra = p.TestIter.Count - result.Count;
            for (int i = 0; i < extra; i++) result.Add((train, trainSource));
        }
        if (p.TestIter.Count != result.Count)
            throw new OmnivoreException($"{solverPath}: {result.Count} test nets but {p.TestIter.Count} test_iter values");
        if (p.TestState.Count > 0 && p.TestState.Count != result.Count)
            throw new OmnivoreException($"{solverPath}: test_state must be given once per test net ({result.Count})");
        return result;
    }
}
