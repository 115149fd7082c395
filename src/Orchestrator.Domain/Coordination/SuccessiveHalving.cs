namespace Orchestrator.Domain.Coordination;

/// <summary>
/// Successive halving's rule, decided as soon as it is certain (<see cref="WorkQueue.DecideRungs"/>). A cell's n
/// configurations all reach rung 0; of the n_k that reach rung k, the best n_(k+1) = max(1, floor(n_k / reduction)) by
/// validation loss go on (ties: the smaller trial id first). A trial whose rank among the results known so far already
/// fixes its side goes at once: pruned when n_(k+1) of its rung are known to be better, promoted when at least
/// n_k - n_(k+1) are known to be worse. Results only ever add to those counts, so a decision taken early is the one
/// the whole rung would give: the decisions depend neither on the order in which results arrive nor on a fault that
/// replays them.
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

    /// <summary>A loss as it ranks: NaN with +infinity, last.</summary>
    public static double Rankable(double loss) => double.IsNaN(loss) ? double.PositiveInfinity : loss;
}
