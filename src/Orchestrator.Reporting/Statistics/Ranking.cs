namespace Orchestrator.Reporting.Statistics;

/// <summary>Average ("mid") ranks, 1-based, with the sizes of the tied groups.</summary>
public sealed record RankedValues(IReadOnlyList<double> Ranks, IReadOnlyList<int> TieGroupSizes)
{
    /// <summary>Sum over tied groups of t^3 - t; zero when there are no ties.</summary>
    public double TieCubeSum => TieGroupSizes.Sum(t => (double)t * t * t - t);

    public bool HasTies => TieGroupSizes.Any(t => t > 1);
}

public static class Ranking
{
    /// <summary>Ranks <paramref name="values"/> from 1 (smallest); tied values share the mean of their ranks.</summary>
    public static RankedValues Average(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        var groups = new List<int>();
        var start = 0;
        while (start < order.Length)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++) ranks[order[i]] = rank;
            groups.Add(end - start + 1);
            start = end + 1;
        }
        return new RankedValues(ranks, groups);
    }
}
