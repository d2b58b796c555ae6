// TestPaths: where the repository and the shared Caffe example files are, found by
// walking up from the test assembly, so the tests run from any checkout location.
namespace Omnivore.Tests.Support;

public static class TestPaths
{
    /// <summary>The repository root (the folder holding Omnivore.sln).</summary>
    public static string RepoRoot { get; } = Find(d => File.Exists(Path.Combine(d, "Omnivore.sln")))
        ?? throw new InvalidOperationException("cannot find the repository root (Omnivore.sln) above the test assembly");

    /// <summary>../shared/caffe beside the repository, or null when absent.</summary>
    public static string? SharedCaffe => Find(d => Directory.Exists(Path.Combine(d, "shared", "caffe"))) is { } d
        ? Path.Combine(d, "shared", "caffe") : null;

    /// <summary>The shared Caffe folder, or an Ignore with the reason when it is absent.</summary>
    public static string RequireSharedCaffe() =>
        SharedCaffe ?? throw new IgnoreException("../shared/caffe (unmodified Caffe example nets) is not present beside this checkout");

    public static string MnistData => Path.Combine(RepoRoot, "examples", "mnist", "data");

    private static string? Find(Func<string, bool> test)
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
            if (test(d.FullName)) return d.FullName;
        return null;
    }
}
