// TextFormatFuzzTests: the prototxt parser under mutation. Thousands of randomly damaged
// copies of real Caffe files (bytes deleted, duplicated, replaced with syntax characters,
// lines swapped or cut) either parse or fail with a PrototxtException carrying a file
// name and a valid 1-based line and column, never any other exception or a hang.
using Omnivore.Model;
using Omnivore.Model.Caffe;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Model;

[TestFixture]
public class TextFormatFuzzTests
{
    private static readonly string[] Alphabet = ["{", "}", ":", "\"", "'", "#", "\n", " ", "-", ".", "e", "1", "[", "]", ",", "<", ">", "\\", "x"];

    private static IEnumerable<(string Name, string Text, bool Solver)> Seeds()
    {
        var root = TestPaths.RepoRoot;
        yield return ("lenet_train_test.prototxt", File.ReadAllText(Path.Combine(root, "examples/mnist/lenet_train_test.prototxt")), false);
        yield return ("lenet_solver.prototxt", File.ReadAllText(Path.Combine(root, "examples/mnist/lenet_solver.prototxt")), true);
        if (TestPaths.SharedCaffe is { } shared)
            foreach (var f in Directory.GetFiles(shared, "*.prototxt", SearchOption.AllDirectories))
                yield return (Path.GetFileName(f), File.ReadAllText(f), f.Contains("solver"));
    }

    private static string Mutate(string text, Random r)
    {
        var s = new System.Text.StringBuilder(text);
        int edits = 1 + r.Next(4);
        for (int e = 0; e < edits && s.Length > 0; e++)
        {
            int at = r.Next(s.Length);
            switch (r.Next(5))
            {
                case 0: s.Remove(at, Math.Min(1 + r.Next(8), s.Length - at)); break;
                case 1: s.Insert(at, Alphabet[r.Next(Alphabet.Length)]); break;
                case 2: s[at] = Alphabet[r.Next(Alphabet.Length)][0]; break;
                case 3: s.Insert(at, s.ToString(at, Math.Min(1 + r.Next(20), s.Length - at))); break;
                default: s.Length = at; break; // truncate
            }
        }
        return s.ToString();
    }

    [Test]
    public void MutatedCaffeFilesParseOrFailWithAPosition()
    {
        var r = new Random(1234);
        int parsed = 0, rejected = 0;
        foreach (var (name, text, solver) in Seeds())
        {
            int lines = text.Split('\n').Length;
            for (int i = 0; i < 400; i++)
            {
                var mutant = Mutate(text, r);
                try
                {
                    if (solver) TextFormat.Parse<SolverParameter>(mutant, name);
                    else TextFormat.Parse<NetParameter>(mutant, name);
                    parsed++;
                }
                catch (PrototxtException e)
                {
                    rejected++;
                    Assert.That(e.FileName, Is.EqualTo(name));
                    Assert.That(e.Line, Is.InRange(1, lines + 200), e.Message);
                    Assert.That(e.Column, Is.GreaterThanOrEqualTo(1), e.Message);
                    Assert.That(e.Message, Does.StartWith($"{name}:{e.Line}:{e.Column}: "));
                }
            }
        }
        TestContext.Out.WriteLine($"{parsed} mutants parsed, {rejected} rejected with a position");
        Assert.That(rejected, Is.GreaterThan(parsed / 4), "most mutations should be caught");
    }
}
