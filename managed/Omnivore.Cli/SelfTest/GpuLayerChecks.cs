// GpuLayerChecks: every layer type's forward and backward on the GPU against the CPU on
// the same inputs. Each case builds the layer on both devices from one prototxt snippet,
// copies the CPU's initial parameters to the GPU, feeds both the same bottoms (and, for
// non-loss tops, the same top diffs), and compares tops, bottom diffs and parameter diffs.
// Tolerances: 1e-4 where an sgemm or a reduction sums in another order (convolution,
// inner product, losses, BatchNorm), 1e-5 otherwise (transcendentals differ by ulps).
using Omnivore.Core;
using Omnivore.Engine;
using Omnivore.Layers;
using Omnivore.Model;
using Omnivore.Model.Caffe;

namespace Omnivore.Cli.SelfTest;

public enum InputKind { Uniform, Positive, Labels, Ties }

/// <summary>A bottom blob: its shape and how its values are made (Labels/Ties: integers in [0, Arg)).</summary>
public readonly record struct LayerInput(int[] Shape, InputKind Kind = InputKind.Uniform, int Arg = 0);

public sealed record LayerCase(string Name, string Proto, LayerInput[] Bottoms, int Tops = 1, double Tolerance = 1e-5,
                               bool Backward = true, Phase Phase = Phase.Train, int? ImagesPerLowering = null);

public static class GpuLayerChecks
{
    private static LayerInput U(params int[] s) => new(s);
    private static LayerInput Pos(params int[] s) => new(s, InputKind.Positive);
    private static LayerInput Lab(int classes, params int[] s) => new(s, InputKind.Labels, classes);
    private static LayerInput Tie(params int[] s) => new(s, InputKind.Ties, 3);

    private const string Gauss = "weight_filler { type: \"gaussian\" std: 0.1 } bias_filler { type: \"uniform\" min: -0.1 max: 0.1 }";

    public static IReadOnlyList<LayerCase> Cases { get; } =
    [
        new("Convolution 3x3 pad 1", $"type: \"Convolution\" convolution_param {{ num_output: 8 kernel_size: 3 pad: 1 {Gauss} }}", [U(4, 3, 9, 9)], Tolerance: 1e-4),
        new("Convolution 3x3 pad 1, 1 image per lowering", $"type: \"Convolution\" convolution_param {{ num_output: 8 kernel_size: 3 pad: 1 {Gauss} }}", [U(4, 3, 9, 9)], Tolerance: 1e-4, ImagesPerLowering: 1),
        new("Convolution 11x11 stride 4 (conv1)", $"type: \"Convolution\" convolution_param {{ num_output: 16 kernel_size: 11 stride: 4 {Gauss} }}", [U(2, 3, 43, 43)], Tolerance: 1e-4),
        new("Convolution group 2 stride 2 pad 2", $"type: \"Convolution\" convolution_param {{ num_output: 6 kernel_size: 5 stride: 2 pad: 2 group: 2 {Gauss} }}", [U(3, 4, 11, 10)], Tolerance: 1e-4, ImagesPerLowering: 2),
        new("Convolution dilation 2, no bias", $"type: \"Convolution\" convolution_param {{ num_output: 4 kernel_size: 3 dilation: 2 bias_term: false {Gauss} }}", [U(2, 2, 9, 9)], Tolerance: 1e-4),
        new("Deconvolution stride 2", $"type: \"Deconvolution\" convolution_param {{ num_output: 3 kernel_size: 4 stride: 2 pad: 1 {Gauss} }}", [U(2, 4, 5, 5)], Tolerance: 1e-4),
        new("InnerProduct", $"type: \"InnerProduct\" inner_product_param {{ num_output: 10 {Gauss} }}", [U(5, 3, 4, 4)], Tolerance: 1e-4),
        new("InnerProduct transpose", $"type: \"InnerProduct\" inner_product_param {{ num_output: 7 transpose: true {Gauss} }}", [U(3, 12)], Tolerance: 1e-4),
        new("Pooling MAX 3x3 s2", "type: \"Pooling\" pooling_param { pool: MAX kernel_size: 3 stride: 2 }", [U(2, 3, 13, 13)]),
        new("Pooling MAX 2x2 s2 ties", "type: \"Pooling\" pooling_param { pool: MAX kernel_size: 2 stride: 2 }", [Tie(2, 3, 8, 8)]),
        new("Pooling MAX 3x3 s2 pad 1", "type: \"Pooling\" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }", [U(2, 2, 7, 9)]),
        new("Pooling AVE 3x3 s2 pad 1", "type: \"Pooling\" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }", [U(2, 3, 7, 7)]),
        new("Pooling AVE global", "type: \"Pooling\" pooling_param { pool: AVE global_pooling: true }", [U(2, 5, 6, 6)]),
        new("ReLU", "type: \"ReLU\"", [U(3, 4, 5)]),
        new("ReLU leaky", "type: \"ReLU\" relu_param { negative_slope: 0.1 }", [U(3, 4, 5)]),
        new("PReLU", "type: \"PReLU\"", [U(2, 3, 4, 4)]),
        new("PReLU shared", "type: \"PReLU\" prelu_param { channel_shared: true }", [U(2, 3, 4, 4)]),
        new("ELU", "type: \"ELU\" elu_param { alpha: 0.7 }", [U(3, 4, 5)]),
        new("Sigmoid", "type: \"Sigmoid\"", [U(3, 4, 5)]),
        new("TanH", "type: \"TanH\"", [U(3, 4, 5)]),
        new("AbsVal", "type: \"AbsVal\"", [U(3, 4, 5)]),
        new("Power", "type: \"Power\" power_param { power: 2 scale: 0.5 shift: 1 }", [U(3, 4, 5)]),
        new("Power fractional", "type: \"Power\" power_param { power: 0.5 scale: 1 shift: 0.5 }", [Pos(3, 4, 5)]),
        new("Exp", "type: \"Exp\" exp_param { base: 2 scale: 0.5 shift: 0.1 }", [U(3, 4, 5)]),
        new("Log", "type: \"Log\" log_param { scale: 2 shift: 0.5 }", [Pos(3, 4, 5)]),
        new("Threshold", "type: \"Threshold\" threshold_param { threshold: 0.2 }", [U(3, 4, 5)], Backward: false),
        new("Dropout (test phase)", "type: \"Dropout\" dropout_param { dropout_ratio: 0.4 }", [U(3, 4, 5)], Phase: Phase.Test),
        new("Dropout (train phase, same generator)", "type: \"Dropout\" dropout_param { dropout_ratio: 0.4 }", [U(3, 40, 5)]),
        new("LRN across channels", "type: \"LRN\" lrn_param { local_size: 5 alpha: 0.001 beta: 0.75 }", [U(2, 7, 5, 5)]),
        new("LRN across channels beta 0.6", "type: \"LRN\" lrn_param { local_size: 3 alpha: 0.01 beta: 0.6 k: 2 }", [U(2, 4, 3, 5)]),
        new("LRN within channel", "type: \"LRN\" lrn_param { local_size: 3 alpha: 0.1 beta: 0.75 norm_region: WITHIN_CHANNEL }", [U(2, 3, 6, 5)]),
        new("Softmax", "type: \"Softmax\"", [U(4, 10)]),
        new("Softmax spatial", "type: \"Softmax\"", [U(2, 5, 3, 4)]),
        new("SoftmaxWithLoss", "type: \"SoftmaxWithLoss\"", [U(8, 10), Lab(10, 8)], Tolerance: 1e-4),
        new("SoftmaxWithLoss ignore_label", "type: \"SoftmaxWithLoss\" loss_param { ignore_label: 2 }", [U(2, 5, 3, 3), Lab(5, 2, 1, 3, 3)], Tolerance: 1e-4),
        new("EuclideanLoss", "type: \"EuclideanLoss\"", [U(6, 5), U(6, 5)], Tolerance: 1e-4),
        new("SigmoidCrossEntropyLoss", "type: \"SigmoidCrossEntropyLoss\"", [U(6, 5), Lab(2, 6, 5)], Tolerance: 1e-4),
        new("HingeLoss", "type: \"HingeLoss\"", [U(6, 5), Lab(5, 6)], Tolerance: 1e-4),
        new("Accuracy top-3", "type: \"Accuracy\" accuracy_param { top_k: 3 }", [U(16, 10), Lab(10, 16)], Backward: false),
        new("ArgMax top-2 with values", "type: \"ArgMax\" argmax_param { top_k: 2 out_max_val: true }", [Tie(5, 8)], Backward: false),
        new("BatchNorm (train)", "type: \"BatchNorm\"", [U(4, 3, 5, 5)], Tolerance: 1e-4),
        new("BatchNorm (global stats)", "type: \"BatchNorm\" batch_norm_param { use_global_stats: true }", [U(4, 3, 5, 5)], Tolerance: 1e-4, Phase: Phase.Test),
        new("Scale with bias", "type: \"Scale\" scale_param { bias_term: true filler { type: \"uniform\" min: 0.5 max: 1.5 } bias_filler { type: \"uniform\" min: -1 max: 1 } }", [U(3, 4, 5, 2)], Tolerance: 1e-4),
        new("Scale by a bottom", "type: \"Scale\" scale_param { axis: 1 }", [U(3, 4, 5, 2), U(4)], Tolerance: 1e-4),
        new("Bias", "type: \"Bias\" bias_param { filler { type: \"uniform\" min: -1 max: 1 } }", [U(3, 4, 5)], Tolerance: 1e-4),
        new("Eltwise SUM with coefficients", "type: \"Eltwise\" eltwise_param { operation: SUM coeff: 0.5 coeff: -2 }", [U(3, 4, 5), U(3, 4, 5)]),
        new("Eltwise PROD", "type: \"Eltwise\" eltwise_param { operation: PROD }", [U(3, 4, 5), U(3, 4, 5), U(3, 4, 5)]),
        new("Eltwise MAX with ties", "type: \"Eltwise\" eltwise_param { operation: MAX }", [Tie(3, 4, 5), Tie(3, 4, 5), Tie(3, 4, 5)]),
        new("Concat", "type: \"Concat\"", [U(2, 3, 4), U(2, 5, 4)]),
        new("Slice", "type: \"Slice\" slice_param { slice_point: 2 }", [U(2, 5, 4)], Tops: 2),
        new("Split", "type: \"Split\"", [U(2, 5, 4)], Tops: 2),
        new("Flatten", "type: \"Flatten\"", [U(2, 3, 4, 5)]),
        new("Reshape", "type: \"Reshape\" reshape_param { shape { dim: 0 dim: -1 } }", [U(2, 3, 4, 5)]),
    ];

    public static CheckResult Run(LayerCase c, IDevice cpu, IDevice gpu)
    {
        var tally = new ErrorTally();
        var param = TextFormat.Parse<LayerParameter>($"name: \"l\" {c.Proto}", "selftest");
        var values = c.Bottoms.Select((b, i) => Values(b, 100 + i)).ToArray();
        using var cpuConv = Engine(cpu, c);
        using var gpuConv = Engine(gpu, c);
        var cpuSide = Side.Build(param, cpu, c, values, cpuConv);
        var gpuSide = Side.Build(param, gpu, c, values, gpuConv);
        try
        {
            for (int p = 0; p < cpuSide.Layer.Params.Count; p++) gpuSide.Layer.Params[p].UploadData(cpuSide.Layer.Params[p].DownloadData());
            cpuSide.Layer.Forward(cpuSide.Bottom, cpuSide.Top);
            gpuSide.Layer.Forward(gpuSide.Bottom, gpuSide.Top);
            for (int t = 0; t < c.Tops; t++) tally.Compare($"top{t}", gpuSide.Top[t].DownloadData(), cpuSide.Top[t].DownloadData());
            if (c.Backward)
            {
                for (int t = 0; t < c.Tops; t++)
                    if (cpuSide.Layer.LossWeights[t] == 0)
                    {
                        var dy = Inputs.Uniform(cpuSide.Top[t].Count, 300 + t);
                        cpuSide.Top[t].UploadDiff(dy);
                        gpuSide.Top[t].UploadDiff(dy);
                    }
                var down = c.Bottoms.Select((b, i) => b.Kind != InputKind.Labels && cpuSide.Layer.AllowBackwardTo(i)).ToArray();
                cpuSide.Layer.Backward(cpuSide.Top, down, cpuSide.Bottom);
                gpuSide.Layer.Backward(gpuSide.Top, down, gpuSide.Bottom);
                for (int b = 0; b < down.Length; b++)
                    if (down[b]) tally.Compare($"bottom{b} diff", gpuSide.Bottom[b].DownloadDiff(), cpuSide.Bottom[b].DownloadDiff());
                for (int p = 0; p < cpuSide.Layer.Params.Count; p++)
                    tally.Compare($"param{p} diff", gpuSide.Layer.Params[p].DownloadDiff(), cpuSide.Layer.Params[p].DownloadDiff());
            }
            return new CheckResult($"layer {c.Name}", tally.Max, c.Tolerance, tally.Where);
        }
        catch (Exception e) when (e is OmnivoreException or ArgumentException or InvalidOperationException)
        {
            return new CheckResult($"layer {c.Name}", tally.Max, c.Tolerance, tally.Where, $"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            cpuSide.Dispose();
            gpuSide.Dispose();
        }
    }

    private static ConvEngine? Engine(IDevice d, LayerCase c) =>
        c.ImagesPerLowering is int b ? new ConvEngine(d, ConvEngineOptions.Default with { Partitions = 1, ImagesPerLowering = b }) : null;

    private static float[] Values(LayerInput b, int seed)
    {
        long count = b.Shape.Aggregate(1L, (a, x) => a * x);
        return b.Kind switch
        {
            InputKind.Positive => Inputs.Uniform(count, seed, 0.1f, 2f),
            InputKind.Labels or InputKind.Ties => Inputs.Integers(count, seed, b.Arg),
            _ => Inputs.Uniform(count, seed),
        };
    }

    private sealed record Side(Layer Layer, Blob[] Bottom, Blob[] Top) : IDisposable
    {
        public static Side Build(LayerParameter p, IDevice d, LayerCase c, float[][] values, ConvEngine? conv)
        {
            var layer = LayerRegistry.Create(new LayerContext(p, d, c.Phase, new Rng(1701), conv));
            var bottom = c.Bottoms.Select((b, i) =>
            {
                var blob = new Blob(d, $"bottom{i}", b.Shape);
                blob.UploadData(values[i]);
                return blob;
            }).ToArray();
            var top = Enumerable.Range(0, c.Tops).Select(t => new Blob(d, $"top{t}")).ToArray();
            layer.SetUp(bottom, top);
            return new Side(layer, bottom, top);
        }

        public void Dispose()
        {
            Layer.Dispose();
            foreach (var b in Bottom.Concat(Top)) b.Dispose();
        }
    }
}
