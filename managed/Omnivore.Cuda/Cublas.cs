// Cublas: [LibraryImport] bindings to cuBLAS (libcublas): handles, stream binding, math
// mode (TF32 tensor-op math is an explicit option, off by default), and single-precision
// GEMM, plain and strided-batched. cuBLAS is column-major; CudaBlas maps Omnivore's
// row-major calls onto it.
namespace Omnivore.Cuda;

internal static unsafe partial class Cublas
{
    private const string Lib = CudaLibraries.Cublas;

    public const int OpN = 0, OpT = 1;
    public const int DefaultMath = 0, Tf32TensorOpMath = 3;

    [System.Runtime.InteropServices.LibraryImport(Lib, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(nint* handle);
    [System.Runtime.InteropServices.LibraryImport(Lib, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(nint handle);
    [System.Runtime.InteropServices.LibraryImport(Lib, EntryPoint = "cublasGetVersion_v2")] public static partial int cublasGetVersion(nint handle, int* version);
    [System.Runtime.InteropServices.LibraryImport(Lib, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(nint handle, nint stream);
    [System.Runtime.InteropServices.LibraryImport(Lib)] public static partial int cublasSetMathMode(nint handle, int mode);

    [System.Runtime.InteropServices.LibraryImport(Lib, EntryPoint = "cublasSgemm_v2")]
    public static partial int cublasSgemm(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    [System.Runtime.InteropServices.LibraryImport(Lib)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB, float* beta,
        ulong c, int ldc, long strideC, int batchCount);

    [System.Runtime.InteropServices.LibraryImport(Lib)] public static partial byte* cublasGetStatusString(int status);

    public static void Check(int status, string call)
    {
        if (status != 0) throw new CudaException($"{call} failed: {Describe(status)}", status);
    }

    /// <summary>cuBLAS's name for a status (cublasGetStatusString exists from cuBLAS 11.4).</summary>
    public static string Describe(int status)
    {
        try
        {
            var text = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)cublasGetStatusString(status));
            if (!string.IsNullOrEmpty(text)) return $"{text} (cublasStatus {status})";
        }
        catch (EntryPointNotFoundException) { }
        return $"cublasStatus {status}";
    }
}
