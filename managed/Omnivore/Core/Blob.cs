// Blob: an N-dimensional float array (NCHW by convention) with its gradient ("diff"),
// both held in one device's memory. A blob either owns its buffers, views a slice of
// a larger buffer (the parameter arena), or shares another blob's data and diff
// (ShareFrom: Caffe's ShareData + ShareDiff, for Flatten and Reshape). Host access is by
// explicit copies.
namespace Omnivore.Core;

public sealed class Blob : IDisposable
{
    private int[] _shape = [];
    private long _capacity;
    private bool _owns = true;
    private DeviceBuffer _data, _diff;
    private Blob? _source;

    public Blob(IDevice device, string name = "")
    {
        Device = device;
        Name = name;
    }

    public Blob(IDevice device, string name, params int[] shape) : this(device, name) => Reshape(shape);

    public IDevice Device { get; }
    public string Name { get; set; }
    /// <summary>The values; for a sharing blob, the first Count floats of its source's current data.</summary>
    public DeviceBuffer Data => _source is null ? _data : new DeviceBuffer(_source.Data.Ptr, Count);
    /// <summary>The gradient; for a sharing blob, the first Count floats of its source's current diff.</summary>
    public DeviceBuffer Diff => _source is null ? _diff : new DeviceBuffer(_source.Diff.Ptr, Count);
    /// <summary>The blob whose memory this one shares (ShareFrom), or null.</summary>
    public Blob? SharedSource => _source;
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
        // Layers reshape their tops before every forward; an unchanged shape costs nothing.
        if (shape.Count == _shape.Length && (_capacity > 0 || _source is not null))
        {
            bool same = true;
            for (int i = 0; i < _shape.Length && same; i++) same = shape[i] == _shape[i];
            if (same) return;
        }
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new OmnivoreException($"blob '{Name}': negative dimension in shape {string.Join(" ", shape)}");
            count *= d;
        }
        if (count > int.MaxValue)
            throw new OmnivoreException($"blob '{Name}': shape {string.Join(" ", shape)} has more than 2^31 elements");
        if (_source is not null)
        {
            // A sharing blob never allocates: it re-reads its source's current buffers.
            if (count > _source.Count)
                throw new OmnivoreException(
                    $"blob '{Name}' shares the memory of blob '{_source.Name}' ({_source.Count} elements) " +
                    $"and cannot be reshaped to {string.Join(" ", shape)} ({count})");
            _shape = shape.ToArray();
            Count = count;
            return;
        }
        _shape = shape.ToArray();
        Count = count;
        if (count > _capacity)
        {
            if (!_owns)
                throw new InvalidOperationException($"blob '{Name}' views shared memory and cannot grow to {count} elements");
            FreeBuffers();
            _capacity = count;
            _data = Device.Allocate(count);
            _diff = Device.Allocate(count);
        }
        else if (_capacity > 0)
        {
            _data = new DeviceBuffer(_data.Ptr, count);
            _diff = new DeviceBuffer(_diff.Ptr, count);
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
        _source = null;
        _owns = false;
        _capacity = Count;
        _data = data;
        _diff = diff;
    }

    /// <summary>
    /// Makes this blob a non-owning view of other's data and diff (Caffe's ShareData and
    /// ShareDiff), with the given shape (null: keep this blob's shape). The count must equal
    /// other's. This blob frees any memory it owned and from then on reads other's current
    /// buffers at every access, so the view follows other when other reallocates on growing;
    /// a later Reshape of this blob may not exceed other's count and allocates nothing.
    /// other must outlive the view's use; disposing the view frees nothing. Sharing again
    /// (with the same or another blob) is allowed; BindTo ends the sharing.
    /// </summary>
    public void ShareFrom(Blob other, IReadOnlyList<int>? shape = null)
    {
        if (ReferenceEquals(other, this)) throw new OmnivoreException($"blob '{Name}' cannot share its own memory");
        if (!ReferenceEquals(other.Device, Device))
            throw new OmnivoreException($"blob '{Name}' cannot share blob '{other.Name}', which lives on another device");
        var newShape = shape?.ToArray() ?? _shape;
        long count = 1;
        foreach (var d in newShape)
        {
            if (d < 0) throw new OmnivoreException($"blob '{Name}': negative dimension in shape {string.Join(" ", newShape)}");
            count *= d;
        }
        if (count != other.Count)
            throw new OmnivoreException(
                $"blob '{Name}' of shape {ShapeText(newShape, count)} cannot share blob '{other.Name}' of shape {other.ShapeString}: counts differ");
        for (var s = other; s is not null; s = s._source)
            if (ReferenceEquals(s, this))
                throw new OmnivoreException($"blob '{Name}' cannot share blob '{other.Name}', which already shares this blob");
        FreeBuffers();
        _owns = false;
        _source = other;
        _shape = newShape;
        Count = count;
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
            Device.Free(new DeviceBuffer(_data.Ptr, _capacity));
            Device.Free(new DeviceBuffer(_diff.Ptr, _capacity));
        }
        _data = default;
        _diff = default;
        _capacity = 0;
    }

    public void Dispose() => FreeBuffers();

    public override string ToString() => $"{Name} {ShapeString}";
}
