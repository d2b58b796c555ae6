// CudaModule: compiles the kernel sources with NVRTC for one GPU architecture, once:
// the image (SASS for the device's own architecture when NVRTC knows it, otherwise PTX
// for the newest architecture it knows, which the driver compiles) is cached on disk
// under ~/.cache/omnivore/ptx (or $XDG_CACHE_HOME), keyed by a hash of the sources and
// options, the architecture and the NVRTC version. A compile error throws with NVRTC's
// log. Options: --fmad=false (float steps as on the CPU, no contraction into FMA),
// IEEE division and square root (NVRTC's defaults), C++17.
using System.Runtime.InteropServices;
using System.Text;
using Omnivore.Core;

namespace Omnivore.Cuda;

internal static unsafe class CudaModule
{
    private static readonly string[] Options = ["--fmad=false", "--std=c++17", "--prec-div=true", "--prec-sqrt=true"];

    public static string CacheFolder()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "omnivore", "ptx");
    }

    /// <summary>The module image for compute capability major.minor, from the cache or NVRTC.</summary>
    public static (byte[] Image, string Description) Build(CudaKernelSources src, int major, int minor)
    {
        int vmaj = 0, vmin = 0;
        Nvrtc.Check(Nvrtc.nvrtcVersion(&vmaj, &vmin), "nvrtcVersion");
        int want = major * 10 + minor;
        var archs = SupportedArchs();
        // OMNIVORE_CUDA_PTX=1: PTX for the driver to compile, even where NVRTC could emit SASS.
        bool forcePtx = Environment.GetEnvironmentVariable("OMNIVORE_CUDA_PTX") == "1";
        bool real = !forcePtx && (archs.Count == 0 || archs.Contains(want));
        int arch = real || archs.Count == 0 ? want : archs.Where(a => a <= want).DefaultIfEmpty(archs.Min()).Max();
        string archOption = real ? $"--gpu-architecture=sm_{arch}" : $"--gpu-architecture=compute_{arch}";
        var options = Options.Append(archOption).ToArray();
        string key = $"{src.Hash(string.Join(' ', options))}-nvrtc{vmaj}.{vmin}-{(real ? "sm" : "compute")}_{arch}";
        string path = Path.Combine(CacheFolder(), key + (real ? ".cubin" : ".ptx"));
        string what = $"{src.Files.Count} kernel files ({src.Origin}) for {(real ? "sm" : "compute")}_{arch} by NVRTC {vmaj}.{vmin}";
        try
        {
            if (File.Exists(path)) return (File.ReadAllBytes(path), $"{what}, cached in {path}");
        }
        catch (IOException) { }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var image = Compile(src, options, real);
        try
        {
            Directory.CreateDirectory(CacheFolder());
            var tmp = path + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(tmp, image);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.Warning($"cannot cache the compiled kernels in {path}: {e.Message}");
        }
        return (image, $"{what}, compiled in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static List<int> SupportedArchs()
    {
        try
        {
            int n = 0;
            if (Nvrtc.nvrtcGetNumSupportedArchs(&n) != 0 || n <= 0) return [];
            var a = new int[n];
            fixed (int* p = a)
                if (Nvrtc.nvrtcGetSupportedArchs(p) != 0) return [];
            return [.. a];
        }
        catch (EntryPointNotFoundException)
        {
            return [];
        }
    }

    private static byte[] Compile(CudaKernelSources src, string[] options, bool cubin)
    {
        nint prog = 0;
        var headerText = Marshal.StringToCoTaskMemUTF8(src.CommonHeader);
        var headerName = Marshal.StringToCoTaskMemUTF8(CudaKernelSources.HeaderName);
        var opts = options.Select(o => Marshal.StringToCoTaskMemUTF8(o)).ToArray();
        try
        {
            byte* h = (byte*)headerText, hn = (byte*)headerName;
            Nvrtc.Check(Nvrtc.nvrtcCreateProgram(&prog, src.Program, "omnivore_kernels.cu", 1, &h, &hn), "nvrtcCreateProgram");
            var optPtrs = stackalloc byte*[opts.Length];
            for (int i = 0; i < opts.Length; i++) optPtrs[i] = (byte*)opts[i];
            int rc = Nvrtc.nvrtcCompileProgram(prog, opts.Length, optPtrs);
            if (rc != 0)
            {
                var text = Marshal.PtrToStringUTF8((nint)Nvrtc.nvrtcGetErrorString(rc)) ?? $"nvrtcResult {rc}";
                throw new CudaException($"nvrtcCompileProgram failed: {text} ({string.Join(' ', options)}); log:\n{ProgramLog(prog)}", rc);
            }
            nuint size = 0;
            if (cubin)
            {
                Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(prog, &size), "nvrtcGetCUBINSize");
                var image = new byte[(int)size];
                fixed (byte* p = image) Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(prog, p), "nvrtcGetCUBIN");
                return image;
            }
            Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(prog, &size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];  // NUL-terminated, as cuModuleLoadData wants
            fixed (byte* p = ptx) Nvrtc.Check(Nvrtc.nvrtcGetPTX(prog, p), "nvrtcGetPTX");
            return ptx;
        }
        finally
        {
            if (prog != 0) Nvrtc.nvrtcDestroyProgram(&prog);
            Marshal.FreeCoTaskMem(headerText);
            Marshal.FreeCoTaskMem(headerName);
            foreach (var o in opts) Marshal.FreeCoTaskMem(o);
        }
    }

    private static string ProgramLog(nint prog)
    {
        nuint size = 0;
        if (Nvrtc.nvrtcGetProgramLogSize(prog, &size) != 0 || size <= 1) return "(empty)";
        var buf = new byte[(int)size];
        fixed (byte* p = buf) Nvrtc.nvrtcGetProgramLog(prog, p);
        return Encoding.UTF8.GetString(buf, 0, buf.Length - 1);
    }
}
