// Blob: an N-dimensional float array (NCHW by convention) with its gradient ("diff"),
// both held in one device's memory. A blob either owns its buffers or views a slice of
// a larger buffer (the parameter arena). Host access is by explicit copies.
namespace Omnivore.Core;

public sealed class Blob : IDisposable
{
    private int[] _shape = [];
    private long _capacity;
    private bool _owns = true;

    public Blob(IDevice device, string name = "")
    {
        Device = device;
        Name = name;
    }

    public Blob(IDevice device, string name, params int[] shape) : this(device, name) => Reshape(shape);

    public IDevice Device { get; }
    public string Name { get; set; }
    public DeviceBuffer Data { get; private set; }
    public DeviceBuffer Diff { get; private set; }
    public IReadOnlyList<int> Shape => _shape;
    public int NumAxes => _shape.Length;
    public long Count { get; private set; }

    /// <summary>Dimension of an axis; negative axes count from the end, as in Caffe.</summary>
    public int this[int axis] => _shape[CanonicalAxis(axis)];
    public int Num => LegacyDim(0);
    public int Channels => LegacyDim(1);
    public int Height => LegacyDim(2);
    public int Width => LegacyDim(3);

    public int CanonicalAxis(int axis)
    {
        if (axis < -NumAxes || axis >= Math.Max(NumAxes, 1))
            throw new OmnivoreException($"axis {axis} is out of range for blob '{Name}' of shape {ShapeString}");
        return axis < 0 ? axis + NumAxes : axis;
    }

    /// <summary>Product of the dimensions in [start, end).</summary>
    public long CountRange(int start, int end)
    {
        long c = 1;
        for (int i = start; i < end; i++) c *= _shape[i];
        return c;
    }

    public long CountFrom(int start) => CountRange(start, NumAxes);

    public string ShapeString => ShapeText(_shape, Count);

    public static string ShapeText(IReadOnlyList<int> shape, long count) =>
        string.Join(" ", shape) + $" ({count})";

    public void Reshape(params int[] shape) => Reshape((IReadOnlyList<int>)shape);

    public void Reshape(IReadOnlyList<int> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new OmnivoreException($"blob '{Name}': negative dimension in shape {string.Join(" ", shape)}");
            count *= d;
        }
        if (count > int.MaxValue)
            throw new OmnivoreException($"blob '{Name}': shape {string.Join(" ", shape)} has more than 2^31 elements");
        _shape = shape.ToArray();
        Count = count;
        if (count > _capacity)
        {
            if (!_owns)
                throw new InvalidOperationException($"blob '{Name}' views shared memory and cannot grow to {count} elements");
            FreeBuffers();
            _capacity = count;
            Data = Device.Allocate(count);
            Diff = Device.Allocate(count);
        }
        else if (_capacity > 0)
        {
            Data = new DeviceBuffer(Data.Ptr, count);
            Diff = new DeviceBuffer(Diff.Ptr, count);
        }
    }

    public void ReshapeLike(Blob other) => Reshape(other.Shape);

    public bool SameShape(Blob other) => _shape.AsSpan().SequenceEqual(other._shape);

    /// <summary>Make this blob a view of external buffers (the parameter arena).</summary>
    public void BindTo(DeviceBuffer data, DeviceBuffer diff)
    {
        if (data.Length != Count || diff.Length != Count)
            throw new ArgumentException($"blob '{Name}' needs {Count} elements, got {data.Length}/{diff.Length}");
        FreeBuffers();
        _owns = false;
        _capacity = Count;
        Data = data;
        Diff = diff;
    }

    public float[] DownloadData()
    {
        var a = new float[Count];
        Device.Download(a, Data);
        return a;
    }

    public float[] DownloadDiff()
    {
        var a = new float[Count];
        Device.Download(a, Diff);
        return a;
    }

    public void UploadData(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        Device.Upload(Data, values);
    }

    public void UploadDiff(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        Device.Upload(Diff, values);
    }

    private void CheckLength(int length)
    {
        if (length != Count)
            throw new OmnivoreException($"blob '{Name}' of shape {ShapeString} cannot take {length} values");
    }

    private int LegacyDim(int index)
    {
        if (NumAxes > 4) throw new OmnivoreException($"blob '{Name}' has {NumAxes} axes; legacy accessors need at most 4");
        return index < NumAxes ? _shape[index] : 1;
    }

    private void FreeBuffers()
    {
        if (_owns && _capacity > 0)
        {
            Device.Free(Data);
            Device.Free(Diff);
        }
        Data = default;
        Diff = default;
        _capacity = 0;
    }

    public void Dispose() => FreeBuffers();

    public override string ToString() => $"{Name} {ShapeString}";
}
