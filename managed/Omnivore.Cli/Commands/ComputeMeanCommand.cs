// ComputeMeanCommand: `omnivore compute-mean DB [OUT]` writes the mean image of an LMDB
// as a BlobProto (default mean.binaryproto), as Caffe's compute_image_mean, and prints
// the per-channel means (usable as transform_param mean_value).
using System.CommandLine;
using Omnivore.Core;
using Omnivore.Data;

namespace Omnivore.Cli.Commands;

public static class ComputeMeanCommand
{
    public static Command Build()
    {
        var db = new Argument<string>("db") { Description = "the LMDB of Datums" };
        var output = new Argument<string>("output") { Description = "the .binaryproto to write", DefaultValueFactory = _ => "mean.binaryproto" };
        var cmd = new Command("compute-mean", "Mean image of an LMDB, as a .binaryproto (compute_image_mean)") { db, output };
        cmd.SetAction(r =>
        {
            var means = MeanComputer.Write(r.GetValue(db)!, r.GetValue(output)!);
            Console.WriteLine($"mean_value: {string.Join(" ", means.Select(m => Fmt.G(m)))}");
            return 0;
        });
        return cmd;
    }
}
