// NumericalGuard: stops training on a NaN or infinite loss or gradient instead of
// training on garbage. It names the iteration and the first layer whose output went
// non-finite, writes a snapshot of the last good weights (the update has not been applied
// yet), and throws so the program exits with that one line.
using Omnivore.Core;

namespace Omnivore.Solvers;

public static class NumericalGuard
{
    public static void Check(Solver solver, float loss)
    {
        var net = solver.Net;
        bool lossBad = !float.IsFinite(loss);
        bool gradBad = !lossBad && net.Arena.Count > 0 && !double.IsFinite(net.Device.Asum(net.Arena.Diff));
        if (!lossBad && !gradBad) return;
        var what = lossBad ? $"the loss is {Fmt.G(loss)}" : "a parameter gradient is not finite";
        var where = FirstBadLayer(solver, data: true) ?? (gradBad ? FirstBadLayer(solver, data: false) : null);
        var saved = "";
        if (solver.Param.HasSnapshotPrefix && solver.Param.SnapshotPrefix.Length > 0)
        {
            var (model, _) = solver.Snapshot();
            saved = $"; the last good weights are in {model}";
        }
        throw new OmnivoreException($"iteration {solver.Iter}: {what}{(where is null ? "" : $" (first non-finite: {where})")}; " +
                                    $"training stopped{saved}. Lower base_lr or check the data and the net");
    }

    /// <summary>The first layer, in net order, with a non-finite top value (data) or parameter gradient.</summary>
    private static string? FirstBadLayer(Solver solver, bool data)
    {
        var net = solver.Net;
        for (int i = 0; i < net.Layers.Count; i++)
        {
            var layer = net.Layers[i];
            if (data)
            {
                foreach (var top in net.Tops[i])
                    if (top.Count > 0 && !double.IsFinite(net.Device.Asum(top.Data)))
                        return $"layer '{layer.Name}' ({layer.Type}), output '{top.Name}'";
            }
            else
            {
                for (int p = 0; p < layer.Params.Count; p++)
                    if (!double.IsFinite(net.Device.Asum(layer.Params[p].Diff)))
                        return $"layer '{layer.Name}' ({layer.Type}), gradient of parameter {p}";
            }
        }
        return null;
    }
}
