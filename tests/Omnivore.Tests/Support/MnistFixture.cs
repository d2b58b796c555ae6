// MnistFixture: the shipped MNIST converted once per test run into temporary LMDBs
// (the whole training and test sets), shared by the tests that train or read data.
using Omnivore.Data;

namespace Omnivore.Tests.Support;

public static class MnistFixture
{
    private static readonly Lazy<(string Train, string Test)> Paths = new(Create);

    public static string TrainLmdb => Paths.Value.Train;
    public static string TestLmdb => Paths.Value.Test;

    private static (string, string) Create()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"omnivore-mnist-{Environment.ProcessId}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        };
        var data = TestPaths.MnistData;
        var train = Path.Combine(dir, "train_lmdb");
        var test = Path.Combine(dir, "test_lmdb");
        MnistConverter.Convert(Path.Combine(data, "train-images-idx3-ubyte.gz"), Path.Combine(data, "train-labels-idx1-ubyte.gz"), train);
        MnistConverter.Convert(Path.Combine(data, "t10k-images-idx3-ubyte.gz"), Path.Combine(data, "t10k-labels-idx1-ubyte.gz"), test);
        return (train, test);
    }
}
