// ConvertCommand: dataset converters, as Caffe's tools.
//   omnivore convert mnist [--data DIR] [--out DIR]      (create_mnist.sh)
//   omnivore convert imageset ROOT LIST DB [--gray] [--shuffle] [--resize-height H]
//       [--resize-width W] [--check-size] [--encoded] [--encode-type png]   (convert_imageset)
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
        return new Command("convert", "Convert datasets to Caffe's LMDB format") { mnist, ImageSet() };
    }

    private static Command ImageSet()
    {
        var root = new Argument<string>("root") { Description = "folder the list's paths are relative to" };
        var list = new Argument<string>("list") { Description = "list file: '<path> <label>' per line" };
        var db = new Argument<string>("db") { Description = "the LMDB to create" };
        var gray = new Option<bool>("--gray") { Description = "store one gray channel" };
        var shuffle = new Option<bool>("--shuffle") { Description = "shuffle the list first" };
        var height = new Option<int>("--resize-height", "--resize_height") { Description = "resize to this height (with width)" };
        var width = new Option<int>("--resize-width", "--resize_width") { Description = "resize to this width (with height)" };
        var check = new Option<bool>("--check-size", "--check_size") { Description = "fail unless every image has the same size" };
        var encoded = new Option<bool>("--encoded") { Description = "store encoded images (the file bytes, or PNG when changed)" };
        var encodeType = new Option<string>("--encode-type", "--encode_type") { Description = "png (re-encoding format)", DefaultValueFactory = _ => "" };
        var seed = new Option<long>("--seed") { Description = "shuffle seed", DefaultValueFactory = _ => 0 };
        var cmd = new Command("imageset", "Images listed in a file to an LMDB of Datums (convert_imageset)")
            { root, list, db, gray, shuffle, height, width, check, encoded, encodeType, seed };
        cmd.SetAction(r =>
        {
            var o = new ImageSetOptions(r.GetValue(gray), r.GetValue(shuffle), r.GetValue(height), r.GetValue(width),
                r.GetValue(check), r.GetValue(encoded), r.GetValue(encodeType)!, r.GetValue(seed));
            if ((o.ResizeHeight > 0) != (o.ResizeWidth > 0))
                throw new OmnivoreException("give both --resize-height and --resize-width, or neither");
            ImageSetConverter.Convert(r.GetValue(root)!, r.GetValue(list)!, r.GetValue(db)!, o);
            return 0;
        });
        return cmd;
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
