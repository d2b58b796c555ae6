// ConvertCommand: `omnivore convert mnist [--data DIR] [--out DIR]` turns the four MNIST
// idx files into mnist_train_lmdb and mnist_test_lmdb, as Caffe's create_mnist.sh.
using System.CommandLine;
using Omnivore.Core;
using Omnivore.Data;

namespace Omnivore.Cli.Commands;

public static class ConvertCommand
{
    public static Command Build()
    {
        var data = new Option<string>("--data") { Description = "folder of the idx files (.gz or plain)", DefaultValueFactory = _ => "examples/mnist/data" };
        var output = new Option<string>("--out") { Description = "folder for the two LMDBs", DefaultValueFactory = _ => "examples/mnist" };
        var force = new Option<bool>("--force") { Description = "replace existing LMDBs" };
        var mnist = new Command("mnist", "MNIST idx files to train/test LMDBs of Caffe Datums") { data, output, force };
        mnist.SetAction(r => Mnist(r.GetValue(data)!, r.GetValue(output)!, r.GetValue(force)));
        return new Command("convert", "Convert datasets to Caffe's LMDB format") { mnist };
    }

    public static int Mnist(string dataDir, string outDir, bool force)
    {
        foreach (var (prefix, name) in new[] { ("train", "mnist_train_lmdb"), ("t10k", "mnist_test_lmdb") })
        {
            var target = Path.Combine(outDir, name);
            if (Directory.Exists(target))
            {
                if (!force) throw new OmnivoreException($"'{target}' already exists; pass --force to replace it");
                Directory.Delete(target, recursive: true);
            }
            Log.Info($"Creating {target}");
            MnistConverter.Convert(Find(dataDir, $"{prefix}-images-idx3-ubyte"), Find(dataDir, $"{prefix}-labels-idx1-ubyte"), target);
        }
        return 0;
    }

    private static string Find(string dir, string name)
    {
        foreach (var candidate in new[] { name, name + ".gz" })
        {
            var path = Path.Combine(dir, candidate);
            if (File.Exists(path)) return path;
        }
        throw new OmnivoreException($"'{Path.Combine(dir, name)}' (or .gz) does not exist");
    }
}
