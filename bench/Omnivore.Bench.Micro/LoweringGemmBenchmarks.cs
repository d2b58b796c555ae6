// LoweringGemmBenchmarks: forward convolution (lowering + sgemm) on the five convolution
// shapes of CaffeNet at batch 64, through IDevice on the CPU device, in two strategies:
//   PerImage: Caffe's — lower one image (C*KH*KW, OH*OW) and run one sgemm per group, 64 times;
//   Batched:  Omnivore's — lower the whole batch (C*KH*KW, 64*OH*OW) once, one sgemm per group;
//   Packed:   Omnivore's packed engine — the same lowering fused panel by panel into its
//             AVX-512 kernel, one partition per thread, output written in place (CPUs
//             with AVX-512 only; elsewhere the benchmark fails with the reason).
// All do the same FLOPs (reported as a column); the ratio of their times is the effect of
// batching the lowering on sgemm efficiency (and of fusing it into the kernel).
using BenchmarkDotNet.Attributes;
using Omnivore.Core;
using Omnivore.Native;

namespace Omnivore.Bench.Micro;

/// <summary>A convolution layer's shape: input (C, H, W), Cout, kernel, stride, pad, group.</summary>
public sealed record ConvShape(string Name, int C, int H, int W, int Cout, int K, int Stride, int Pad, int Group)
{
    public WindowGeometry Window => new(C, H, W, K, K, Pad, Pad, Stride, Stride, 1, 1);
    public override string ToString() => Name;

    /// <summary>CaffeNet's conv1..conv5 (227x227 input).</summary>
    public static readonly ConvShape[] CaffeNet =
    [
        new("conv1", 3, 227, 227, 96, 11, 4, 0, 1),
        new("conv2", 96, 27, 27, 256, 5, 1, 2, 2),
        new("conv3", 256, 13, 13, 384, 3, 1, 1, 1),
        new("conv4", 384, 13, 13, 384, 3, 1, 1, 2),
        new("conv5", 384, 13, 13, 256, 3, 1, 1, 2),
    ];
}

[Config(typeof(ShortConfig))]
public class LoweringGemmBenchmarks
{
    public const int Batch = 64;
    private CpuDevice _device = null!;
    private DeviceBuffer _data, _weights, _colBatch, _colImage, _out, _packedWs;
    private Core.ConvShape _conv;
    private ConvPlan _packed;

    [ParamsSource(nameof(Shapes))]
    public ConvShape Shape { get; set; } = ConvShape.CaffeNet[0];

    public static IEnumerable<ConvShape> Shapes => ConvShape.CaffeNet;

    private int OutHw => Shape.Window.ConvOutH * Shape.Window.ConvOutW;

    /// <summary>FLOPs of one forward pass of the layer over the batch.</summary>
    public double Flops => 2.0 * Batch * Shape.Cout * OutHw * (Shape.C / Shape.Group) * Shape.K * Shape.K;

    [GlobalSetup]
    public void Setup()
    {
        _device = CpuDevice.Create();
        var g = Shape.Window;
        _data = _device.Allocate((long)Batch * Shape.C * Shape.H * Shape.W);
        _weights = _device.Allocate((long)Shape.Cout * (Shape.C / Shape.Group) * Shape.K * Shape.K);
        _colBatch = _device.Allocate((long)g.LoweredRows * Batch * OutHw);
        _colImage = _device.Allocate((long)g.LoweredRows * OutHw);
        _out = _device.Allocate((long)Shape.Cout * Batch * OutHw);
        _device.Set(_data, 0.5f);
        _device.Set(_weights, 0.01f);
        _conv = new Core.ConvShape(g, Shape.Cout, Shape.Group);
        _packed = ConvPlan.Packed(_device.ConvMaxPartitions);
        if (_device.ConvSupports(ConvMode.Packed)) _packedWs = _device.Allocate(_device.ConvWorkspaceFloats(_conv, _packed));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var b in new[] { _data, _weights, _colBatch, _colImage, _out, _packedWs })
            if (!b.IsNull) _device.Free(b);
        _device.Dispose();
    }

    /// <summary>Caffe's strategy: lower and multiply one image at a time.</summary>
    [Benchmark(Baseline = true)]
    public void PerImage()
    {
        var g = Shape.Window;
        long inPer = (long)Shape.C * Shape.H * Shape.W;
        for (int i = 0; i < Batch; i++)
        {
            _device.Im2ColBatch(_colImage, _data.Slice(i * inPer, inPer), 1, g);
            Multiply(_colImage, OutHw, _out.Slice((long)i * Shape.Cout * OutHw, (long)Shape.Cout * OutHw));
        }
    }

    /// <summary>Omnivore's strategy: lower the whole batch, one sgemm per group.</summary>
    [Benchmark]
    public void Batched()
    {
        _device.Im2ColBatch(_colBatch, _data, Batch, Shape.Window);
        Multiply(_colBatch, Batch * OutHw, _out);
    }

    /// <summary>The packed engine: lowering fused into the kernel, output (N, C, H, W) in place.</summary>
    [Benchmark]
    public void Packed()
    {
        if (_packedWs.IsNull) throw new NotSupportedException("the packed engine needs a CPU with AVX-512 (F, DQ, BW, VL)");
        _device.ConvForward(_out, _data, _weights, default, _packedWs, Batch, _conv, _packed);
    }

    /// <summary>The sgemms alone on the batched lowered matrix (lowering excluded).</summary>
    [Benchmark]
    public void BatchedGemmOnly() => Multiply(_colBatch, Batch * OutHw, _out);

    private void Multiply(DeviceBuffer col, int cols, DeviceBuffer output)
    {
        int m = Shape.Cout / Shape.Group, k = Shape.Window.LoweredRows / Shape.Group;
        for (int gi = 0; gi < Shape.Group; gi++)
            _device.Gemm(false, false, m, cols, k, 1f,
                _weights.Slice((long)gi * m * k, (long)m * k), col.Slice((long)gi * k * cols, (long)k * cols),
                0f, output.Slice((long)gi * m * cols, (long)m * cols));
    }
}
