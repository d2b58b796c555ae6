// Axes: Caffe's axis arithmetic shared by the shape layers (Flatten, Concat, Slice,
// ArgMax, Bias, Scale), with errors that name the layer.
using Omnivore.Core;

namespace Omnivore.Layers;

internal static class Axes
{
    /// <summary>Caffe's CanonicalAxisIndex: axis in [-numAxes, numAxes), negative from the end.</summary>
    public static int Canonical(Layer layer, Blob b, int axis, string what = "axis")
    {
        if (axis < -b.NumAxes || axis >= b.NumAxes)
            throw new OmnivoreException(
                $"layer '{layer.Name}' ({layer.Type}): {what} {axis} is out of range for bottom '{b.Name}' of shape {b.ShapeString}");
        return axis < 0 ? axis + b.NumAxes : axis;
    }

    /// <summary>The legacy uint32 axis fields (concat_dim, slice_dim): 0 &lt;= dim &lt; numAxes.</summary>
    public static int Legacy(Layer layer, Blob b, uint dim, string what)
    {
        if (dim > int.MaxValue)
            throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): casting {what} from uint32 to int32 produced a negative result; " +
                                        $"{what} must satisfy 0 <= {what} < 32");
        if (dim >= b.NumAxes)
            throw new OmnivoreException($"layer '{layer.Name}' ({layer.Type}): {what} {dim} out of range for bottom '{b.Name}' of shape {b.ShapeString}");
        return (int)dim;
    }
}
