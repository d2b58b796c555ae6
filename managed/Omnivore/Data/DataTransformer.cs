// DataTransformer: turns one Caffe Datum into network input the way Caffe's
// DataTransformer does: subtract the mean (mean_file or mean_value), multiply by scale,
// crop (random in TRAIN, centred in TEST) and mirror at random when asked. Encoded
// Datums (JPEG/PNG bytes, as `convert_imageset --encoded` writes) are decoded first.
using Google.Protobuf;
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Data;

public sealed class DataTransformer
{
    private readonly TransformationParameter _p;
    private readonly Phase _phase;
    private readonly float[]? _meanFile;
    private readonly int[] _meanFileShape = [];
    private readonly float[] _meanValues;
    private readonly string _layerName;

    public DataTransformer(TransformationParameter? p, Phase phase, string layerName)
    {
        _p = p ?? new TransformationParameter();
        _phase = phase;
        _layerName = layerName;
        _meanValues = _p.MeanValue.ToArray();
        if (_p.HasMeanFile)
        {
            if (_meanValues.Length > 0)
                throw new OmnivoreException($"layer '{layerName}': give mean_file or mean_value, not both");
            (_meanFile, _meanFileShape) = LoadMean(_p.MeanFile);
        }
    }

    public int CropSize => (int)_p.CropSize;

    /// <summary>Set by the data layer from data_param.force_encoded_color.</summary>
    public bool ForceEncodedColor { get; init; }

    private ColorMode DecodeMode => _p.ForceColor || ForceEncodedColor ? ColorMode.Color
                                  : _p.ForceGray ? ColorMode.Gray : ColorMode.Unchanged;

    /// <summary>The datum with raw pixels: decoded when it holds an encoded image, else itself.</summary>
    public Datum Decode(Datum d)
    {
        if (!d.Encoded) return d;
        var img = ImageCodec.Decode(d.Data.ToByteArray(), DecodeMode, $"layer '{_layerName}'");
        return new Datum
        {
            Channels = img.Channels, Height = img.Height, Width = img.Width, Label = d.Label,
            Data = ByteString.CopyFrom(img.Chw),
        };
    }

    /// <summary>The (C, H, W) a datum of the given size becomes.</summary>
    public (int C, int H, int W) OutputShape(int channels, int height, int width)
    {
        int crop = CropSize;
        if (crop > 0 && (crop > height || crop > width))
            throw new OmnivoreException($"layer '{_layerName}': crop_size {crop} is larger than the {height}x{width} images");
        return crop > 0 ? (channels, crop, crop) : (channels, height, width);
    }

    /// <summary>Writes the transformed datum into dst (C*H'*W' floats).</summary>
    public void Transform(Datum d, Span<float> dst, Rng rng)
    {
        d = Decode(d);
        int c = d.Channels, h = d.Height, w = d.Width;
        var (_, oh, ow) = OutputShape(c, h, w);
        bool hasBytes = d.Data.Length > 0;
        if (hasBytes && d.Data.Length != c * h * w)
            throw new OmnivoreException($"layer '{_layerName}': Datum holds {d.Data.Length} bytes, expected {c * h * w} ({c}x{h}x{w})");
        if (!hasBytes && d.FloatData.Count != c * h * w)
            throw new OmnivoreException($"layer '{_layerName}': Datum holds {d.FloatData.Count} floats, expected {c * h * w} ({c}x{h}x{w})");
        if (_meanFile is not null && (_meanFileShape[1] != c || _meanFileShape[2] != h || _meanFileShape[3] != w))
            throw new OmnivoreException($"layer '{_layerName}': mean_file is {string.Join("x", _meanFileShape.Skip(1))}, images are {c}x{h}x{w}");
        if (_meanValues.Length != 0 && _meanValues.Length != 1 && _meanValues.Length != c)
            throw new OmnivoreException($"layer '{_layerName}': {_meanValues.Length} mean_value entries for {c} channels");

        int hOff = 0, wOff = 0;
        if (CropSize > 0)
        {
            if (_phase == Phase.Train)
            {
                hOff = rng.Next(h - oh + 1);
                wOff = rng.Next(w - ow + 1);
            }
            else
            {
                hOff = (h - oh) / 2;
                wOff = (w - ow) / 2;
            }
        }
        bool mirror = _p.Mirror && rng.Next(2) == 1;
        float scale = _p.Scale;
        var bytes = hasBytes ? d.Data.Span : default;
        for (int ch = 0; ch < c; ch++)
        {
            float meanValue = _meanValues.Length == 0 ? 0 : _meanValues[_meanValues.Length == 1 ? 0 : ch];
            for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++)
            {
                int src = (ch * h + hOff + y) * w + wOff + x;
                int dx = mirror ? ow - 1 - x : x;
                float v = hasBytes ? bytes[src] : d.FloatData[src];
                float mean = _meanFile is not null ? _meanFile[src] : meanValue;
                dst[(ch * oh + y) * ow + dx] = (v - mean) * scale;
            }
        }
    }

    private (float[], int[]) LoadMean(string path)
    {
        if (!File.Exists(path))
            throw new OmnivoreException($"layer '{_layerName}': mean_file '{path}' does not exist");
        BlobProto blob;
        try
        {
            blob = BlobProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OmnivoreException($"layer '{_layerName}': mean_file '{path}' is not a BlobProto ({e.Message})", e);
        }
        var shape = Model.BlobShapes.ShapeOf(blob);
        while (shape.Length < 4) shape = [1, .. shape];
        var data = blob.Data.Count > 0 ? blob.Data.ToArray() : blob.DoubleData.Select(x => (float)x).ToArray();
        return (data, shape);
    }
}
