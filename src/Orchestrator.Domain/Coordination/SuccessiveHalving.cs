using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Coordination;

/// <summary>What successive halving decides for a trial at a rung.</summary>
public enum RungVerdict { Promote, Prune }

/// <summary>
/// Successive halving's rule, decided as soon as it is certain. A cell's n configurations all reach rung 0; of the n_k
/// that reach rung k, the best n_(k+1) = max(1, floor(n_k / reduction)) by validation loss go on (ties: the smaller
/// trial id first). A trial whose rank among the results known so far already fixes its side goes at once: promoted
/// when at least n_k - n_(k+1) of its rung are known to be worse, pruned when n_(k+1) are known to be better. Results
/// only ever add to those counts, so a decision taken early is the one the whole rung would give: the decisions do
/// not depend on the order in which results arrive, nor on a fault that replays them.
/// </summary>
public static class SuccessiveHalving
{
    /// <summary>n_0 .. n_rungs: how many of <paramref name="trials"/> configurations reach each rung, and the last
    /// survivors' count.</summary>
    public static IReadOnlyList<int> CohortSizes(int trials, int reduction, int rungs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(reduction, 2);
        var sizes = new List<int> { trials };
        for (var k = 0; k < rungs; k++) sizes.Add(Math.Max(1, sizes[^1] / reduction));
        return sizes;
    }

    /// <summary>The verdict for <paramref name="trial"/> with <paramref name="loss"/> at a rung that <paramref name="cohort"/>
    /// trials reach and <paramref name="promoted"/> leave upward, given the other results known there (the trial's own
    /// may be among them); null while it is not certain yet.</summary>
    public static RungVerdict? Verdict(TrialId trial, double loss, IEnumerable<(TrialId Trial, double Loss)> known, int cohort, int promoted)
    {
        ArgumentNullException.ThrowIfNull(known);
        int better = 0, worse = 0;
        foreach (var other in known)
        {
            if (other.Trial == trial) continue;
            if (Before(other.Trial, other.Loss, trial, loss)) better++;
            else worse++;
        }
        if (better >= promoted) return RungVerdict.Prune;
        if (worse >= cohort - promoted) return RungVerdict.Promote;
        return null;
    }

    /// <summary>How many of the known results rank before <paramref name="trial"/>'s.</summary>
    public static int Better(TrialId trial, double loss, IEnumerable<(TrialId Trial, double Loss)> known)
    {
        ArgumentNullException.ThrowIfNull(known);
        return known.Count(o => o.Trial != trial && Before(o.Trial, o.Loss, trial, loss));
    }

    /// <summary>The ranking: lower loss first (a loss that is not a number ranks last), then the ordinal order of ids.</summary>
    public static bool Before(TrialId a, double lossA, TrialId b, double lossB)
    {
        var (x, y) = (Rankable(lossA), Rankable(lossB));
        return x != y ? x < y : string.CompareOrdinal(a.Value, b.Value) < 0;
    }

    /// <summary>NaN ranks with +infinity: last.</summary>
    public static double Rankable(double loss) => double.IsNaN(loss) ? double.PositiveInfinity : loss;
}
