// LearningRatePolicy: Caffe's learning-rate schedules (fixed, step, exp, inv, multistep,
// poly, sigmoid) as a function of the iteration. multistep keeps Caffe's current_step,
// which is saved in the .solverstate.
using Omnivore.Core;
using Omnivore.Model.Caffe;

namespace Omnivore.Solvers;

public sealed class LearningRatePolicy
{
    public static readonly string[] Names = ["fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid"];
    private readonly SolverParameter _p;

    public LearningRatePolicy(SolverParameter p)
    {
        _p = p;
        var policy = p.HasLrPolicy ? p.LrPolicy : "";
        if (!Names.Contains(policy))
            throw new OmnivoreException($"solver: lr_policy '{policy}' is unknown (known: {string.Join(", ", Names)})");
        if (policy == "step" && p.Stepsize <= 0) throw new OmnivoreException("solver: lr_policy \"step\" needs a positive stepsize");
        if (policy == "poly" && p.MaxIter <= 0) throw new OmnivoreException("solver: lr_policy \"poly\" needs max_iter");
        for (int i = 1; i < p.Stepvalue.Count; i++)
            if (p.Stepvalue[i] <= p.Stepvalue[i - 1]) throw new OmnivoreException("solver: stepvalue entries must increase");
    }

    /// <summary>The step counter of "multistep" (and "step"), saved in snapshots.</summary>
    public int CurrentStep { get; set; }

    public double Rate(int iter)
    {
        double baseLr = _p.BaseLr, gamma = _p.Gamma, power = _p.Power;
        switch (_p.LrPolicy)
        {
            case "fixed":
                return baseLr;
            case "step":
                CurrentStep = iter / _p.Stepsize;
                return baseLr * Math.Pow(gamma, CurrentStep);
            case "exp":
                return baseLr * Math.Pow(gamma, iter);
            case "inv":
                return baseLr * Math.Pow(1 + gamma * iter, -power);
            case "multistep":
                if (CurrentStep < _p.Stepvalue.Count && iter >= _p.Stepvalue[CurrentStep])
                {
                    CurrentStep++;
                    Log.Info($"MultiStep Status: Iteration {iter}, step = {CurrentStep}");
                }
                return baseLr * Math.Pow(gamma, CurrentStep);
            case "poly":
                return baseLr * Math.Pow(1.0 - (double)iter / _p.MaxIter, power);
            case "sigmoid":
                return baseLr * (1.0 / (1.0 + Math.Exp(-gamma * (iter - _p.Stepsize))));
            default:
                throw new InvalidOperationException(_p.LrPolicy);
        }
    }
}
