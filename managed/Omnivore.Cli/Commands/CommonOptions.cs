// CommonOptions: options shared by several commands.
using System.CommandLine;

namespace Omnivore.Cli.Commands;

public static class CommonOptions
{
    public static Option<int> Threads() => new("--threads")
    {
        Description = "CPU threads for BLAS and kernels (default: all cores)",
        DefaultValueFactory = _ => 0,
    };

    public static Option<string?> Gpu() => new("--gpu")
    {
        Description = "GPU id as in Caffe (0, 1, ...); without a usable GPU the command warns and runs on the CPU",
    };
}
