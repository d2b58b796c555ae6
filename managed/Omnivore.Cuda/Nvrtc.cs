// Nvrtc: [LibraryImport] bindings to NVRTC (libnvrtc), the run-time CUDA C compiler:
// create a program from source, compile it for one architecture, fetch PTX and the
// compile log, the SASS image (CUBIN) where the architecture is a real one, and the
// architectures this NVRTC supports. Check() turns an nvrtcResult into an exception with
// NVRTC's text.
using System.Runtime.InteropServices;

namespace Omnivore.Cuda;

internal static unsafe partial class Nvrtc
{
    private const string Lib = CudaLibraries.Nvrtc;

    [LibraryImport(Lib)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int nvrtcCreateProgram(nint* program, string source, string name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(nint* program);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBINSize(nint program, nuint* size);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] public static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(Lib)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(Lib)] public static partial byte* nvrtcGetErrorString(int result);

    public static void Check(int result, string call)
    {
        if (result == 0) return;
        var text = Marshal.PtrToStringUTF8((nint)nvrtcGetErrorString(result)) ?? $"nvrtcResult {result}";
        throw new CudaException($"{call} failed: {text}", result);
    }
}
