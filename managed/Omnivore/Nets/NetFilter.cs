// NetFilter: Caffe's include/exclude rules. A layer is kept for a NetState (phase, level,
// stages) when it has no include rule or meets one, and meets no exclude rule.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Nets;

public static class NetFilter
{
    public static bool StateMeetsRule(NetState state, NetStateRule rule)
    {
        if (rule.HasPhase && rule.Phase != state.Phase) return false;
        if (rule.HasMinLevel && state.Level < rule.MinLevel) return false;
        if (rule.HasMaxLevel && state.Level > rule.MaxLevel) return false;
        foreach (var s in rule.Stage)
            if (!state.Stage.Contains(s)) return false;
        foreach (var s in rule.NotStage)
            if (state.Stage.Contains(s)) return false;
        return true;
    }

    public static bool Includes(NetState state, LayerParameter layer)
    {
        if (layer.Include.Count > 0 && layer.Exclude.Count > 0)
            throw new OmnivoreException($"layer '{layer.Name}' gives both include and exclude rules; use one kind");
        bool included = layer.Include.Count == 0;
        foreach (var r in layer.Exclude)
            if (StateMeetsRule(state, r)) included = false;
        foreach (var r in layer.Include)
            if (StateMeetsRule(state, r)) included = true;
        return included;
    }

    /// <summary>A copy of the net holding only the layers included in the state.</summary>
    public static NetParameter Filter(NetParameter net, NetState state)
    {
        var result = net.Clone();
        result.Layer.Clear();
        result.Layer.AddRange(net.Layer.Where(l => Includes(state, l)).Select(l => l.Clone()));
        return result;
    }
}
