// DeviceBuffer: a run of floats (or 32-bit ints) in one device's memory, named by its
// raw address. The address is a host pointer on the CPU device and a device pointer on
// a GPU; both support offset arithmetic, so slicing never needs the device.
namespace Omnivore.Core;

public readonly struct DeviceBuffer : IEquatable<DeviceBuffer>
{
    public readonly nint Ptr;
    public readonly long Length;

    public DeviceBuffer(nint ptr, long length)
    {
        Ptr = ptr;
        Length = length;
    }

    public bool IsNull => Ptr == 0;

    /// <summary>The floats [offset, offset + length) of this buffer.</summary>
    public DeviceBuffer Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {offset + length}) is outside a buffer of {Length} elements");
        return new DeviceBuffer(Ptr + (nint)(offset * sizeof(float)), length);
    }

    public DeviceBuffer Slice(long offset) => Slice(offset, Length - offset);

    public bool Equals(DeviceBuffer other) => Ptr == other.Ptr && Length == other.Length;
    public override bool Equals(object? obj) => obj is DeviceBuffer b && Equals(b);
    public override int GetHashCode() => HashCode.Combine(Ptr, Length);
    public override string ToString() => $"0x{Ptr:x}[{Length}]";
}
