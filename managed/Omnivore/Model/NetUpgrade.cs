// NetUpgrade: Caffe's upgrades of deprecated net definitions, applied on load so the rest
// of Omnivore sees one form (as Caffe's UpgradeNetAsNeeded does):
//  - data transformation fields of V1 DATA / IMAGE_DATA layers (scale, mean_file,
//    crop_size, mirror in data_param / image_data_param) move to transform_param;
//  - V1 nets (`layers { type: CONVOLUTION blobs_lr: 1 weight_decay: 1 }`, NetParameter
//    field 2) become current ones (`layer { type: "Convolution" param { lr_mult decay_mult } }`):
//    type enum -> type string, blobs_lr / weight_decay / param / blob_share_mode -> param
//    { lr_mult / decay_mult / name / share_mode }, everything else copied.
// The net-level input / input_dim upgrade lives in Nets/Legacy.cs. V0 nets (`layers {
// layer { ... } }`) are not supported: their fields are not in Omnivore's caffe.proto.
using Omnivore.Core;
using Omnivore.Model.Caffe;
using V1Type = Omnivore.Model.Caffe.V1LayerParameter.Types.LayerType;
using V1Mode = Omnivore.Model.Caffe.V1LayerParameter.Types.DimCheckMode;
using DimCheckMode = Omnivore.Model.Caffe.ParamSpec.Types.DimCheckMode;

namespace Omnivore.Model;

public static class NetUpgrade
{
    public static bool NeedsV1Upgrade(NetParameter net) => net.Layers.Count > 0;

    /// <summary>Whether a V1 data layer still carries transformation fields in its data parameter.</summary>
    public static bool NeedsDataUpgrade(NetParameter net) => net.Layers.Any(l =>
        (l.Type == V1Type.Data && l.DataParam is { } d && (d.HasScale || d.HasMeanFile || d.HasCropSize || d.HasMirror)) ||
        (l.Type == V1Type.ImageData && l.ImageDataParam is { } i && (i.HasScale || i.HasMeanFile || i.HasCropSize || i.HasMirror)));

    /// <summary>
    /// The net in the current format: the same instance when nothing is deprecated, else an
    /// upgraded copy. source names the file in log lines and errors.
    /// </summary>
    public static NetParameter UpgradeAsNeeded(NetParameter net, string source)
    {
        if (!NeedsV1Upgrade(net)) return net;
        if (net.Layer.Count > 0)
            throw new OmnivoreException(
                $"{source}: the net gives both 'layer' ({net.Layer.Count}) and the deprecated V1 'layers' ({net.Layers.Count}) fields; " +
                "write every layer in one form");
        var result = net.Clone();
        if (NeedsDataUpgrade(result))
        {
            Log.Info($"Attempting to upgrade input file specified using deprecated transformation parameters: {source}");
            UpgradeDataTransformation(result);
            Log.Info("Successfully upgraded file specified using deprecated data transformation parameters.");
            Log.Warning("Note that future Caffe releases will only support transform_param messages for transformation fields.");
        }
        Log.Info($"Attempting to upgrade input file specified using deprecated V1LayerParameter: {source}");
        result = UpgradeV1Net(result, source);
        Log.Info("Successfully upgraded file specified using deprecated V1LayerParameter");
        return result;
    }

    /// <summary>Moves scale / mean_file / crop_size / mirror of V1 data layers into transform_param (in place).</summary>
    public static void UpgradeDataTransformation(NetParameter net)
    {
        foreach (var l in net.Layers)
        {
            if (l.Type == V1Type.Data)
            {
                var d = l.DataParam ??= new DataParameter();
                var t = l.TransformParam ??= new TransformationParameter();
                if (d.HasScale) { t.Scale = d.Scale; d.ClearScale(); }
                if (d.HasMeanFile) { t.MeanFile = d.MeanFile; d.ClearMeanFile(); }
                if (d.HasCropSize) { t.CropSize = d.CropSize; d.ClearCropSize(); }
                if (d.HasMirror) { t.Mirror = d.Mirror; d.ClearMirror(); }
            }
            else if (l.Type == V1Type.ImageData)
            {
                var d = l.ImageDataParam ??= new ImageDataParameter();
                var t = l.TransformParam ??= new TransformationParameter();
                if (d.HasScale) { t.Scale = d.Scale; d.ClearScale(); }
                if (d.HasMeanFile) { t.MeanFile = d.MeanFile; d.ClearMeanFile(); }
                if (d.HasCropSize) { t.CropSize = d.CropSize; d.ClearCropSize(); }
                if (d.HasMirror) { t.Mirror = d.Mirror; d.ClearMirror(); }
            }
        }
    }

    /// <summary>A copy of the V1 net with every `layers` entry turned into a `layer`.</summary>
    public static NetParameter UpgradeV1Net(NetParameter v1, string source = "net")
    {
        var net = v1.Clone();
        net.Layers.Clear();
        net.Layer.Clear();
        for (int i = 0; i < v1.Layers.Count; i++)
        {
            try { net.Layer.Add(UpgradeV1Layer(v1.Layers[i])); }
            catch (OmnivoreException e) { throw new OmnivoreException($"{source}: upgrade of V1 layer {i} failed: {e.Message}", e); }
        }
        return net;
    }

    public static LayerParameter UpgradeV1Layer(V1LayerParameter v1)
    {
        var l = new LayerParameter();
        l.Bottom.Add(v1.Bottom);
        l.Top.Add(v1.Top);
        if (v1.HasName) l.Name = v1.Name;
        foreach (var r in v1.Include) l.Include.Add(r.Clone());
        foreach (var r in v1.Exclude) l.Exclude.Add(r.Clone());
        if (v1.HasType) l.Type = TypeName(v1.Type);
        foreach (var b in v1.Blobs) l.Blobs.Add(b.Clone());
        ParamSpec Spec(int i)
        {
            while (l.Param.Count <= i) l.Param.Add(new ParamSpec());
            return l.Param[i];
        }
        for (int i = 0; i < v1.Param.Count; i++) Spec(i).Name = v1.Param[i];
        for (int i = 0; i < v1.BlobShareMode.Count; i++)
            Spec(i).ShareMode = v1.BlobShareMode[i] switch
            {
                V1Mode.Strict => DimCheckMode.Strict,
                V1Mode.Permissive => DimCheckMode.Permissive,
                var m => throw new OmnivoreException($"unknown blob_share_mode {(int)m}"),
            };
        for (int i = 0; i < v1.BlobsLr.Count; i++) Spec(i).LrMult = v1.BlobsLr[i];
        for (int i = 0; i < v1.WeightDecay.Count; i++) Spec(i).DecayMult = v1.WeightDecay[i];
        l.LossWeight.Add(v1.LossWeight);
        if (v1.AccuracyParam is not null) l.AccuracyParam = v1.AccuracyParam.Clone();
        if (v1.ArgmaxParam is not null) l.ArgmaxParam = v1.ArgmaxParam.Clone();
        if (v1.ConcatParam is not null) l.ConcatParam = v1.ConcatParam.Clone();
        if (v1.ConvolutionParam is not null) l.ConvolutionParam = v1.ConvolutionParam.Clone();
        if (v1.DataParam is not null) l.DataParam = v1.DataParam.Clone();
        if (v1.DropoutParam is not null) l.DropoutParam = v1.DropoutParam.Clone();
        if (v1.DummyDataParam is not null) l.DummyDataParam = v1.DummyDataParam.Clone();
        if (v1.EltwiseParam is not null) l.EltwiseParam = v1.EltwiseParam.Clone();
        if (v1.ExpParam is not null) l.ExpParam = v1.ExpParam.Clone();
        if (v1.Hdf5DataParam is not null) l.Hdf5DataParam = v1.Hdf5DataParam.Clone();
        if (v1.Hdf5OutputParam is not null) l.Hdf5OutputParam = v1.Hdf5OutputParam.Clone();
        if (v1.HingeLossParam is not null) l.HingeLossParam = v1.HingeLossParam.Clone();
        if (v1.ImageDataParam is not null) l.ImageDataParam = v1.ImageDataParam.Clone();
        if (v1.InfogainLossParam is not null) l.InfogainLossParam = v1.InfogainLossParam.Clone();
        if (v1.InnerProductParam is not null) l.InnerProductParam = v1.InnerProductParam.Clone();
        if (v1.LrnParam is not null) l.LrnParam = v1.LrnParam.Clone();
        if (v1.MemoryDataParam is not null) l.MemoryDataParam = v1.MemoryDataParam.Clone();
        if (v1.PoolingParam is not null) l.PoolingParam = v1.PoolingParam.Clone();
        if (v1.PowerParam is not null) l.PowerParam = v1.PowerParam.Clone();
        if (v1.ReluParam is not null) l.ReluParam = v1.ReluParam.Clone();
        if (v1.SigmoidParam is not null) l.SigmoidParam = v1.SigmoidParam.Clone();
        if (v1.SoftmaxParam is not null) l.SoftmaxParam = v1.SoftmaxParam.Clone();
        if (v1.SliceParam is not null) l.SliceParam = v1.SliceParam.Clone();
        if (v1.TanhParam is not null) l.TanhParam = v1.TanhParam.Clone();
        if (v1.ThresholdParam is not null) l.ThresholdParam = v1.ThresholdParam.Clone();
        if (v1.TransformParam is not null) l.TransformParam = v1.TransformParam.Clone();
        if (v1.LossParam is not null) l.LossParam = v1.LossParam.Clone();
        return l;
    }

    /// <summary>The current type string of a V1 layer type (Caffe's UpgradeV1LayerType).</summary>
    public static string TypeName(V1Type type) => type switch
    {
        V1Type.None => "",
        V1Type.Absval => "AbsVal",
        V1Type.Accuracy => "Accuracy",
        V1Type.Argmax => "ArgMax",
        V1Type.Bnll => "BNLL",
        V1Type.Concat => "Concat",
        V1Type.ContrastiveLoss => "ContrastiveLoss",
        V1Type.Convolution => "Convolution",
        V1Type.Deconvolution => "Deconvolution",
        V1Type.Data => "Data",
        V1Type.Dropout => "Dropout",
        V1Type.DummyData => "DummyData",
        V1Type.EuclideanLoss => "EuclideanLoss",
        V1Type.Eltwise => "Eltwise",
        V1Type.Exp => "Exp",
        V1Type.Flatten => "Flatten",
        V1Type.Hdf5Data => "HDF5Data",
        V1Type.Hdf5Output => "HDF5Output",
        V1Type.HingeLoss => "HingeLoss",
        V1Type.Im2Col => "Im2col",
        V1Type.ImageData => "ImageData",
        V1Type.InfogainLoss => "InfogainLoss",
        V1Type.InnerProduct => "InnerProduct",
        V1Type.Lrn => "LRN",
        V1Type.MemoryData => "MemoryData",
        V1Type.MultinomialLogisticLoss => "MultinomialLogisticLoss",
        V1Type.Mvn => "MVN",
        V1Type.Pooling => "Pooling",
        V1Type.Power => "Power",
        V1Type.Relu => "ReLU",
        V1Type.Sigmoid => "Sigmoid",
        V1Type.SigmoidCrossEntropyLoss => "SigmoidCrossEntropyLoss",
        V1Type.Silence => "Silence",
        V1Type.Softmax => "Softmax",
        V1Type.SoftmaxLoss => "SoftmaxWithLoss",
        V1Type.Split => "Split",
        V1Type.Slice => "Slice",
        V1Type.Tanh => "TanH",
        V1Type.WindowData => "WindowData",
        V1Type.Threshold => "Threshold",
        _ => throw new OmnivoreException($"unknown V1 layer type {(int)type}"),
    };
}
