// Legacy: Caffe's deprecated net-level inputs (input / input_shape / input_dim) become
// an Input layer, as Caffe's upgrade does, so the rest of the net code sees one form.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public static class Legacy
{
    public static NetParameter InputsToLayer(NetParameter net)
    {
        if (net.Input.Count == 0) return net;
        var result = net.Clone();
        var input = new LayerParameter { Name = "input", Type = "Input", InputParam = new InputParameter() };
        for (int i = 0; i < net.Input.Count; i++)
        {
            input.Top.Add(net.Input[i]);
            var shape = new BlobShape();
            if (net.InputShape.Count > 0)
            {
                if (net.InputShape.Count != net.Input.Count)
                    throw new OmnivoreException($"net '{net.Name}': {net.Input.Count} inputs but {net.InputShape.Count} input_shape entries");
                shape = net.InputShape[i].Clone();
            }
            else
            {
                if (net.InputDim.Count != 4 * net.Input.Count)
                    throw new OmnivoreException($"net '{net.Name}': input_dim needs 4 values per input ({net.Input.Count} inputs)");
                for (int d = 0; d < 4; d++) shape.Dim.Add(net.InputDim[4 * i + d]);
            }
            input.InputParam.Shape.Add(shape);
        }
        result.Input.Clear();
        result.InputShape.Clear();
        result.InputDim.Clear();
        result.Layer.Insert(0, input);
        return result;
    }
}
