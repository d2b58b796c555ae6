// CudaLibraries: finds libcuda, libnvrtc and libcublas at run time, in the places they
// are usually installed (the loader path, CUDA toolkit folders, Python wheel folders such
// as site-packages/nvidia/*/lib), and points the [LibraryImport] bindings at them. A
// machine without them gets a reason ("library missing" vs "no device"), never a crash.
using System.Reflection;
using System.Runtime.InteropServices;

namespace Omnivore.Cuda;

public static class CudaLibraries
{
    internal const string Driver = "omnivore-cuda-driver";
    internal const string Nvrtc = "omnivore-nvrtc";
    internal const string Cublas = "omnivore-cublas";

    private static readonly object Gate = new();
    private static readonly Dictionary<string, (nint Handle, string Path)> Loaded = [];
    private static bool _resolverSet;

    /// <summary>Versioned file names to try, newest first.</summary>
    private static readonly Dictionary<string, string[]> Names = new()
    {
        [Driver] = ["libcuda.so.1", "libcuda.so"],
        [Nvrtc] = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
        [Cublas] = ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
    };

    /// <summary>Folders searched after the loader's own path.</summary>
    public static IEnumerable<string> SearchFolders()
    {
        var env = Environment.GetEnvironmentVariable("OMNIVORE_CUDA_LIB");
        if (!string.IsNullOrEmpty(env)) yield return env;
        foreach (var root in new[] { Environment.GetEnvironmentVariable("CUDA_HOME"), Environment.GetEnvironmentVariable("CUDA_PATH"), "/usr/local/cuda" })
            if (!string.IsNullOrEmpty(root)) yield return Path.Combine(root, "lib64");
        if (Directory.Exists("/usr/local"))
            foreach (var d in SafeDirs("/usr/local", "cuda-*").OrderDescending()) yield return Path.Combine(d, "lib64");
        yield return "/usr/lib/x86_64-linux-gnu";
        yield return "/usr/lib64";
        yield return "/usr/lib/wsl/lib";
        // pip wheels: .../site-packages/nvidia/{cublas,cuda_nvrtc,cu13,...}/lib
        foreach (var site in SitePackages())
            foreach (var d in SafeDirs(Path.Combine(site, "nvidia"), "*"))
                yield return Path.Combine(d, "lib");
    }

    private static IEnumerable<string> SitePackages()
    {
        var roots = new List<string> { "/usr/lib", "/usr/local/lib", "/opt/conda/lib" };
        var home = Environment.GetEnvironmentVariable("HOME");
        if (!string.IsNullOrEmpty(home)) roots.Add(Path.Combine(home, ".local", "lib"));
        var venv = Environment.GetEnvironmentVariable("VIRTUAL_ENV") ?? Environment.GetEnvironmentVariable("CONDA_PREFIX");
        if (!string.IsNullOrEmpty(venv)) roots.Add(Path.Combine(venv, "lib"));
        foreach (var root in roots)
            foreach (var py in SafeDirs(root, "python3*"))
                foreach (var sub in new[] { "site-packages", "dist-packages" })
                {
                    var d = Path.Combine(py, sub);
                    if (Directory.Exists(d)) yield return d;
                }
    }

    private static IEnumerable<string> SafeDirs(string root, string pattern)
    {
        try
        {
            return Directory.Exists(root) ? Directory.GetDirectories(root, pattern) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>Loads one library; null with the reason when it cannot be found.</summary>
    public static (nint Handle, string? Path, string? Missing) TryLoad(string which)
    {
        lock (Gate)
        {
            InstallResolver();
            if (Loaded.TryGetValue(which, out var known)) return (known.Handle, known.Path, null);
            nint h;
            foreach (var name in Names[which])
            {
                if (NativeLibrary.TryLoad(name, out h))
                {
                    Loaded[which] = (h, name);
                    return (h, name, null);
                }
            }
            foreach (var folder in SearchFolders())
                foreach (var name in Names[which])
                {
                    var path = Path.Combine(folder, name);
                    if (File.Exists(path) && NativeLibrary.TryLoad(path, out h))
                    {
                        Loaded[which] = (h, path);
                        return (h, path, null);
                    }
                }
            return (0, null, $"{Names[which][0]} not found (searched the loader path, CUDA toolkit folders and Python wheel folders; " +
                             "set OMNIVORE_CUDA_LIB to the folder holding it)");
        }
    }

    private static void InstallResolver()
    {
        if (_resolverSet) return;
        _resolverSet = true;
        NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!Names.ContainsKey(name)) return 0;
        var (h, _, missing) = TryLoad(name);
        if (h == 0) throw new DllNotFoundException(missing);
        return h;
    }
}
