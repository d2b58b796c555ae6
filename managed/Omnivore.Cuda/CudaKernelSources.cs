// CudaKernelSources: finds the CUDA C kernel sources (native/cuda/*.cu and common.cuh)
// that CudaDevice compiles with NVRTC at start-up. In order: the folder named by
// OMNIVORE_CUDA_SOURCES, the cuda/ folder beside the program (the build and the bundle
// put them there, so a kernel can be fixed on a GPU machine without rebuilding), and the
// copies embedded in this assembly. The .cu files are joined into one program, in name
// order; common.cuh is given to NVRTC as a header.
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Omnivore.Cuda;

public sealed record CudaKernelSources(string Program, string CommonHeader, string Origin, IReadOnlyList<string> Files)
{
    public const string HeaderName = "common.cuh";

    /// <summary>A hash of everything that goes into the compile (sources and options).</summary>
    public string Hash(string options)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(Program + "\0" + CommonHeader + "\0" + options));
        return Convert.ToHexString(bytes, 0, 12).ToLowerInvariant();
    }

    public static CudaKernelSources Load()
    {
        var env = Environment.GetEnvironmentVariable("OMNIVORE_CUDA_SOURCES");
        if (!string.IsNullOrEmpty(env))
            return FromFolder(env) ?? throw new Core.OmnivoreException(
                $"OMNIVORE_CUDA_SOURCES={env} holds no .cu files and {HeaderName}");
        return FromFolder(Path.Combine(AppContext.BaseDirectory, "cuda")) ?? FromResources()
            ?? throw new Core.OmnivoreException(
                $"the CUDA kernel sources are missing: no cuda/*.cu beside the program ({AppContext.BaseDirectory}) " +
                "and none embedded; rebuild with ./build.sh");
    }

    private static CudaKernelSources? FromFolder(string folder)
    {
        if (!Directory.Exists(folder)) return null;
        var header = Path.Combine(folder, HeaderName);
        var files = Directory.GetFiles(folder, "*.cu").OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0 || !File.Exists(header)) return null;
        return Join(files.Select(f => (Path.GetFileName(f), File.ReadAllText(f))).ToList(), File.ReadAllText(header), folder);
    }

    private static CudaKernelSources? FromResources()
    {
        var asm = typeof(CudaKernelSources).Assembly;
        string? Read(string name)
        {
            using var s = asm.GetManifestResourceStream(name);
            if (s is null) return null;
            using var r = new StreamReader(s);
            return r.ReadToEnd();
        }
        var names = asm.GetManifestResourceNames().Where(n => n.StartsWith("cuda/", StringComparison.Ordinal)).ToList();
        var header = Read("cuda/" + HeaderName);
        var files = names.Where(n => n.EndsWith(".cu", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal)
            .Select(n => (n["cuda/".Length..], Read(n)!)).ToList();
        if (header is null || files.Count == 0) return null;
        return Join(files, header, "embedded in " + Path.GetFileName(asm.Location is { Length: > 0 } l ? l : "Omnivore.Cuda.dll"));
    }

    private static CudaKernelSources Join(List<(string Name, string Text)> files, string header, string origin)
    {
        var sb = new StringBuilder();
        foreach (var (name, text) in files)
        {
            sb.Append("// ---- ").Append(name).Append(" ----\n");
            sb.Append("#line 1 \"").Append(name).Append("\"\n");
            sb.Append(text).Append('\n');
        }
        return new CudaKernelSources(sb.ToString(), header, origin, files.Select(f => f.Name).ToList());
    }
}
