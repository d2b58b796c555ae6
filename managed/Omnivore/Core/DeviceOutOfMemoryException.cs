// DeviceOutOfMemoryException: a device could not allocate a buffer. It says how many
// bytes were asked for and how many the device already holds; once a layer's set-up
// catches it, the message also names the layer and the batch size it was sizing for,
// and suggests a smaller batch_size (the usual way out).
namespace Omnivore.Core;

public sealed class DeviceOutOfMemoryException : OmnivoreException
{
    public DeviceOutOfMemoryException(string device, long bytes, long allocatedBytes, Exception? inner = null)
        : base($"out of {device} memory: asked for {bytes} bytes ({Size(bytes)}) for one buffer, " +
               $"with {Size(allocatedBytes)} already allocated", inner ?? new OutOfMemoryException())
    {
        Bytes = bytes;
    }

    private DeviceOutOfMemoryException(string message, long bytes, string layer, Exception inner) : base(message, inner)
    {
        Bytes = bytes;
        Layer = layer;
    }

    public long Bytes { get; }

    /// <summary>The layer whose set-up asked, once known.</summary>
    public string? Layer { get; }

    /// <summary>The same error naming the layer and, when its blobs have one, the batch size.</summary>
    public DeviceOutOfMemoryException InLayer(string layer, int batchSize)
    {
        var hint = batchSize > 1
            ? $"; its batch size is {batchSize}: try a smaller batch_size (e.g. {batchSize / 2}) in the data layer"
            : "; try a smaller batch_size or a smaller net";
        return new DeviceOutOfMemoryException($"{layer}: {Message}{hint}", Bytes, layer, this);
    }

    /// <summary>A byte count in the largest binary unit that keeps it at least 1 (e.g. "1.5 GiB").</summary>
    public static string Size(long bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? $"{bytes} bytes" : $"{v:0.#} {units[u]}";
    }
}
