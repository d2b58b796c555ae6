// EmulatedGpuTests: the whole GPU engine (CudaDevice: kernel sources, NVRTC, driver calls,
// argument marshalling, cuBLAS's row-major mapping, the convolution composition) run
// end to end on this machine, against a CPU stand-in for libcuda/libnvrtc/libcublas
// (build/native/fake_cuda, from native/cuda/emulate/fake_cuda.cpp, which runs the real
// kernels under the CUDA emulator). In a child process, so that the stand-in never becomes
// the GPU of this test run: `omnivore selftest gpu` must pass every check, `omnivore time
// --gpu 0` must run a net, and `omnivore train` with solver_mode: GPU must bring a LeNet's
// loss down, as must `train --devices cpu,gpu` (the scheduler: the master on the GPU,
// the GPU's replica fed device to device, the CPU's through staged host copies). Skipped when the stand-in or the program is not built.
using System.Diagnostics;
using Omnivore.Tests.Support;

namespace Omnivore.Tests.Gpu;

[TestFixture]
public class EmulatedGpuTests
{
    private static (string Program, string Fake) Require()
    {
        var fake = Path.Combine(TestPaths.RepoRoot, "build", "native", "fake_cuda");
        if (!File.Exists(Path.Combine(fake, "libcuda.so.1"))) Assert.Ignore($"the CUDA stand-in is not built ({fake}); run cmake --build build/native");
        var config = TestContext.CurrentContext.TestDirectory.Contains("/Debug/") ? "Debug" : "Release";
        var program = Path.Combine(TestPaths.RepoRoot, "managed", "Omnivore.Cli", "bin", config, "net10.0", "omnivore");
        if (!File.Exists(program)) Assert.Ignore($"the omnivore program is not built ({program})");
        return (program, fake);
    }

    private static (int Code, string Output) Run(string program, string fake, string args, string? sources = null)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        psi.Environment["OMNIVORE_CUDA_LIB"] = fake;
        if (sources is not null) psi.Environment["OMNIVORE_CUDA_SOURCES"] = sources;
        psi.Environment["XDG_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), $"omnivore-emulated-gpu-{Environment.ProcessId}");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }

    [Test]
    public void SelftestPassesEveryCheckOnTheEmulatedGpu()
    {
        var (program, fake) = Require();
        var (code, output) = Run(program, fake, "selftest gpu");
        Assert.That(output, Does.Contain("Omnivore CUDA emulator"), output);
        Assert.That(output, Does.Not.Contain("FAIL"), output);
        Assert.That(output, Does.Match(@"selftest gpu: \d+ passed, 0 failed"), output);
        Assert.That(code, Is.EqualTo(0), output);
    }

    [Test]
    public void TimeRunsANetOnTheEmulatedGpu()
    {
        var (program, fake) = Require();
        var model = Path.Combine(Path.GetTempPath(), $"lenet-dummy-{Environment.ProcessId}.prototxt");
        File.WriteAllText(model, GpuTrainingTests.LeNet);
        try
        {
            var (code, output) = Run(program, fake, $"time --model {model} --gpu 0 --iterations 2 --no-peak --no-probe");
            Assert.That(code, Is.EqualTo(0), output);
            Assert.That(output, Does.Contain("Using GPU 0 (Omnivore CUDA emulator"), output);
            Assert.That(output, Does.Contain("Average Forward-Backward"), output);
        }
        finally
        {
            File.Delete(model);
        }
    }

    /// <summary>Trains the dummy LeNet in a fresh folder with solver lines `solver` and extra
    /// command-line arguments; returns the exit code, the output and the displayed losses.</summary>
    private static (int Code, string Output, List<double> Losses) Train(string name, string solver, string args, Action<string>? check = null)
    {
        var (program, fake) = Require();
        var dir = Path.Combine(Path.GetTempPath(), $"omnivore-emulated-{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "lenet.prototxt"), GpuTrainingTests.LeNet);
            File.WriteAllText(Path.Combine(dir, "solver.prototxt"), $$"""
                net: "{{Path.Combine(dir, "lenet.prototxt")}}"
                base_lr: 0.01 momentum: 0.9 weight_decay: 0.0005 lr_policy: "fixed" random_seed: 1
                snapshot_prefix: "{{Path.Combine(dir, "lenet")}}"
                {{solver}}
                """);
            var (code, output) = Run(program, fake, $"train --solver {Path.Combine(dir, "solver.prototxt")} {args}");
            var losses = System.Text.RegularExpressions.Regex.Matches(output, @"Iteration \d+[^\n]*, loss = ([0-9.eE+-]+)")
                .Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            check?.Invoke(dir);
            return (code, output, losses);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void TrainWithSolverModeGpuLowersTheLossOnTheEmulatedGpu()
    {
        bool snapshot = false;
        var (code, output, losses) = Train("train", "max_iter: 20 display: 5 solver_mode: GPU", "",
                                           dir => snapshot = File.Exists(Path.Combine(dir, "lenet_iter_20.caffemodel")));
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("Using GPU 0 (Omnivore CUDA emulator"), output);
        Assert.That(losses, Has.Count.GreaterThanOrEqualTo(2), output);
        Assert.That(losses[^1], Is.LessThan(losses[0] / 4), output);
        Assert.That(snapshot, Is.True, "the final snapshot (weights downloaded from the GPU)");
    }

    [Test]
    public void TrainSplitOverTheCpuAndTheEmulatedGpuLowersTheLoss()
    {
        // No solver_mode: Caffe's default (GPU) puts the master on the GPU, so the GPU replica
        // (its own handle and stream) copies device to device and the CPU's goes through the host.
        var (code, output, losses) = Train("split", "max_iter: 16 display: 4 snapshot_after_train: false",
                                           "--devices cpu:threads=1,gpu:id=0 --split-ratio 1:1 --no-probe");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("gpu0 exchanges parameters and gradients with the master device to device"), output);
        Assert.That(output, Does.Contain("cpu0 exchanges parameters and gradients with the master staged through host memory"), output);
        Assert.That(output, Does.Contain("Scheduler: split cpu0 8 + gpu0 8"), output);
        Assert.That(losses, Has.Count.GreaterThanOrEqualTo(2), output);
        Assert.That(losses[^1], Is.LessThan(losses[0] / 2), output);
    }

    [Test]
    public void AKernelCompileFailureNamesTheCallAndShowsTheLog()
    {
        var (program, fake) = Require();
        // Only one kernel file: the stand-in's NVRTC rejects a program that lacks kernels.
        var dir = Path.Combine(Path.GetTempPath(), $"omnivore-partial-kernels-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var src = Path.Combine(TestPaths.RepoRoot, "native", "cuda");
            File.Copy(Path.Combine(src, "common.cuh"), Path.Combine(dir, "common.cuh"));
            File.Copy(Path.Combine(src, "elementwise.cu"), Path.Combine(dir, "elementwise.cu"));
            var (code, output) = Run(program, fake, "selftest gpu", dir);
            Assert.That(code, Is.EqualTo(2), output);
            Assert.That(output, Does.Contain("nvrtcCompileProgram failed").And.Contain("log:").And.Contain("omk_softmax_fwd is missing"), output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
