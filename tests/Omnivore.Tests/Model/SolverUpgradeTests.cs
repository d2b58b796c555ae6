// SolverUpgradeTests: Caffe's solver upgrade on load: the deprecated solver_type enum
// becomes the type string (and is cleared), and giving both solver_type and type is an
// error naming the file.
using Omnivore.Core;
using Omnivore.Solvers;

namespace Omnivore.Tests.Model;

[TestFixture]
public class SolverUpgradeTests
{
    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Path.Combine(Path.GetTempPath(), "omnivore-solver-upgrade-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void RemoveDirectory()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public void SolverTypeEnumBecomesTheTypeString()
    {
        var path = Path.Combine(_dir, "old_solver.prototxt");
        File.WriteAllText(path, "base_lr: 0.01 solver_type: NESTEROV");
        var p = SolverFactory.Load(path);
        Assert.That(p.Type, Is.EqualTo("Nesterov"));
        Assert.That(p.HasSolverType, Is.False, "the deprecated field is cleared, as Caffe does");
        File.WriteAllText(path, "base_lr: 0.01 solver_type: SGD");
        Assert.That(SolverFactory.Load(path).Type, Is.EqualTo("SGD"));
    }

    [Test]
    public void SolverTypeAndTypeTogetherIsAnError()
    {
        var path = Path.Combine(_dir, "both_solver.prototxt");
        File.WriteAllText(path, "base_lr: 0.01 solver_type: ADAM type: \"Adam\"");
        var e = Assert.Throws<OmnivoreException>(() => SolverFactory.Load(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("solver_type").And.Contain("cannot be both specified"));
    }
}
