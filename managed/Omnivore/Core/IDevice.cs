// IDevice: the only way layer code touches a device. A layer's math is written once
// against this interface; the CPU device (native library + OpenBLAS) and the GPU device
// implement it. Kernels take output buffers first, then inputs, then sizes. Copies
// between host and device are explicit calls so the scheduler can see them.
// The interface is split by topic across IDevice.*.cs files; this one holds the core.
namespace Omnivore.Core;

public partial interface IDevice : IDisposable
{
    /// <summary>A short human name, e.g. "CPU (OpenBLAS 0.3.21, 2 threads)".</summary>
    string Name { get; }

    // ---- memory ----
    /// <summary>count floats (or 32-bit ints), zero-filled.</summary>
    DeviceBuffer Allocate(long count);
    void Free(DeviceBuffer buffer);
    void Upload(DeviceBuffer dst, ReadOnlySpan<float> src);
    void Download(Span<float> dst, DeviceBuffer src);
    void UploadInts(DeviceBuffer dst, ReadOnlySpan<int> src);
    void DownloadInts(Span<int> dst, DeviceBuffer src);
    void Copy(DeviceBuffer dst, DeviceBuffer src);
    void Set(DeviceBuffer y, float value);

    // ---- BLAS-like ----
    /// <summary>y = alpha * x + beta * y.</summary>
    void Axpby(DeviceBuffer y, float alpha, DeviceBuffer x, float beta);
    void Scale(DeviceBuffer y, float alpha);
    /// <summary>y = a * b elementwise.</summary>
    void Mul(DeviceBuffer y, DeviceBuffer a, DeviceBuffer b);
    double Dot(DeviceBuffer x, DeviceBuffer y);
    double Asum(DeviceBuffer x);
    /// <summary>Row-major C(m,n) = alpha * op(A) * op(B) + beta * C.</summary>
    void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
              DeviceBuffer a, DeviceBuffer b, float beta, DeviceBuffer c);

    // ---- convolution by batched lowering ----
    /// <summary>col (C*KH*KW, n*OH*OW) from data (n, C, H, W).</summary>
    void Im2ColBatch(DeviceBuffer col, DeviceBuffer data, int n, in WindowGeometry g);
    /// <summary>data (n, C, H, W) = adjoint of Im2ColBatch applied to col (overwrites).</summary>
    void Col2ImBatch(DeviceBuffer data, DeviceBuffer col, int n, in WindowGeometry g);
    /// <summary>dst (C, n, hw) from src (n, C, hw).</summary>
    void NchwToCnhw(DeviceBuffer dst, DeviceBuffer src, int n, int c, long hw);
    /// <summary>dst (n, C, hw) from src (C, n, hw), adding bias[c] when bias is not null.</summary>
    void CnhwToNchw(DeviceBuffer dst, DeviceBuffer src, DeviceBuffer bias, int n, int c, long hw);
    /// <summary>sums[r] += sum of row r of m (rows, cols).</summary>
    void RowSumsAccumulate(DeviceBuffer sums, DeviceBuffer m, int rows, long cols);

    // ---- pooling (mask holds 32-bit ints) ----
    void MaxPoolForward(DeviceBuffer top, DeviceBuffer mask, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW);
    void MaxPoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, int n, in WindowGeometry g, int outH, int outW);
    /// <summary>MaxPoolBackward, then the backward of an in-place ReLU (slope 0) whose output is the pooling's
    /// bottom (reluBottom): bottomDiff *= (reluBottom > 0), Caffe's form. The CPU does both in one pass and
    /// reads the pooling's top (pooledTop: each window's argmax holds its top value) instead of reluBottom.</summary>
    void MaxPoolBackwardRelu(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer mask, DeviceBuffer reluBottom, DeviceBuffer pooledTop,
                             int n, in WindowGeometry g, int outH, int outW)
    {
        MaxPoolBackward(bottomDiff, topDiff, mask, n, g, outH, outW);
        ReluBackward(bottomDiff, bottomDiff, reluBottom, 0f);
    }
    void AvePoolForward(DeviceBuffer top, DeviceBuffer bottom, int n, in WindowGeometry g, int outH, int outW);
    void AvePoolBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, int n, in WindowGeometry g, int outH, int outW);

    // ---- activations and normalisation ----
    void ReluForward(DeviceBuffer top, DeviceBuffer bottom, float negativeSlope);
    void ReluBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer bottom, float negativeSlope);
    /// <summary>Softmax over the channel axis of (outer, channels, inner).</summary>
    void SoftmaxForward(DeviceBuffer top, DeviceBuffer bottom, int outer, int channels, int inner);
    void SoftmaxBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, int outer, int channels, int inner);
    /// <summary>Local response normalisation across channels of (n, c, h, w).</summary>
    void LrnAcrossForward(DeviceBuffer top, DeviceBuffer scale, DeviceBuffer bottom,
                          int n, int c, int h, int w, int size, float alpha, float beta, float k);
    void LrnAcrossBackward(DeviceBuffer bottomDiff, DeviceBuffer topDiff, DeviceBuffer top, DeviceBuffer scale,
                           DeviceBuffer bottom, int n, int c, int h, int w, int size, float alpha, float beta);

    // ---- solver ----
    /// <summary>Caffe's SGD step on one parameter: h = m*h + lr*g; g = h; w -= g.</summary>
    void SgdUpdate(DeviceBuffer w, DeviceBuffer g, DeviceBuffer h, float momentum, float lr);
}
