// LenetTrainingTests: end to end on real data. The shipped LeNet recipe, its data sources
// pointed at freshly converted MNIST LMDBs, trains 500 iterations and must reach at
// least 97% on the full 10,000-image test set; then the snapshot it wrote scores the
// same through a TEST-phase net built from the .caffemodel alone.
using Omnivore.Core;
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Nets;
using Omnivore.Solvers;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Training;

[TestFixture]
public class LenetTrainingTests
{
    [Test]
    public void LenetReaches97PercentIn500Iterations()
    {
        var dir = Directory.CreateTempSubdirectory("omnivore-lenet-").FullName;
        try
        {
            var net = TextFormat.ParseFile<NetParameter>(Path.Combine(TestPaths.RepoRoot, "examples/mnist/lenet_train_test.prototxt"));
            foreach (var l in net.Layer.Where(l => l.Type == "Data"))
                l.DataParam.Source = l.Include[0].Phase == Phase.Train ? MnistFixture.TrainLmdb : MnistFixture.TestLmdb;
            var solver = TextFormat.ParseFile<SolverParameter>(Path.Combine(TestPaths.RepoRoot, "examples/mnist/lenet_solver.prototxt"));
            solver.ClearNet();
            solver.NetParam = net;
            solver.MaxIter = 500;
            solver.Snapshot = 0;
            solver.TestInitialization = false;
            solver.SnapshotPrefix = Path.Combine(dir, "lenet");
            solver.Display = 0;

            using var s = SolverFactory.Create(solver, CpuFixture.Device, "lenet_solver (test)");
            s.Solve();

            var accuracy = s.LastTestScores.Single(x => x.Name == "accuracy").Value;
            TestContext.Out.WriteLine($"LeNet test accuracy after 500 iterations: {accuracy}");
            Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.97f));

            var model = Path.Combine(dir, "lenet_iter_500.caffemodel");
            Assert.That(File.Exists(model), Is.True);
            Assert.That(File.Exists(Path.Combine(dir, "lenet_iter_500.solverstate")), Is.True);
            using var testNet = new Net(net, CpuFixture.Device, new Rng(3), new NetState { Phase = Phase.Test });
            testNet.CopyTrainedLayersFrom(model);
            double sum = 0;
            for (int i = 0; i < 100; i++)
            {
                testNet.Forward();
                sum += testNet.Blob("accuracy").DownloadData()[0];
            }
            Assert.That(sum / 100, Is.EqualTo(accuracy).Within(1e-4));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
