// RunRecordTests: the run record written beside the snapshots holds one JSON object per
// displayed iteration (loss, lr, images/s) and per test pass (outputs by name), and a
// resumed run appends to it.
using System.Text.Json;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Solvers;

[TestFixture]
public class RunRecordTests
{
    private const string SolverText = """
        net_param {
          layer { name: "d" type: "DummyData" top: "data" top: "label"
                  dummy_data_param { shape { dim: 4 dim: 6 } shape { dim: 4 } data_filler { type: "gaussian" } data_filler { type: "constant" value: 1 } } }
          layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
          layer { name: "acc" type: "Accuracy" bottom: "ip" bottom: "label" top: "accuracy" include { phase: TEST } }
          layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
        }
        test_iter: 1 test_interval: 2 test_initialization: false
        base_lr: 0.1 lr_policy: "step" gamma: 0.5 stepsize: 2 display: 2 max_iter: 4 random_seed: 7
        """;

    [Test]
    public void RecordsDisplayedIterationsAndTests()
    {
        var dir = Directory.CreateTempSubdirectory("omnivore-record-").FullName;
        try
        {
            var p = TextFormat.Parse<SolverParameter>(SolverText, "solver");
            p.SnapshotPrefix = Path.Combine(dir, "run");
            using (var solver = SolverFactory.Create(p, CpuFixture.Device, "solver"))
            using (var record = new RunRecord(solver, RunRecord.DefaultPath(solver)!))
                solver.Solve();
            var lines = File.ReadAllLines(Path.Combine(dir, "run_run.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var train = lines.Where(l => l.GetProperty("event").GetString() == "train").ToList();
            var test = lines.Where(l => l.GetProperty("event").GetString() == "test").ToList();
            Assert.That(train.Select(t => t.GetProperty("iter").GetInt32()), Is.EqualTo(new[] { 0, 2 }));
            Assert.That(train.Select(t => t.GetProperty("lr").GetDouble()), Is.EqualTo(new[] { 0.1, 0.05 }).Within(1e-6));
            Assert.That(train.All(t => t.GetProperty("loss").GetDouble() > 0 && t.TryGetProperty("images_per_s", out _)), Is.True);
            Assert.That(test.Select(t => t.GetProperty("iter").GetInt32()), Is.EqualTo(new[] { 2, 4 }));
            Assert.That(test[0].GetProperty("outputs").GetProperty("accuracy").GetDouble(), Is.InRange(0, 1));
            Assert.That(test[0].GetProperty("outputs").TryGetProperty("loss", out _), Is.True);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
