namespace Orchestrator.Reporting.Statistics;

/// <summary>Holm's step-down correction of a family of p-values for multiple comparisons, as R's
/// p.adjust(p, method = "holm"): the i-th smallest p times (m - i + 1), made monotone, capped at 1.</summary>
public static class HolmCorrection
{
    /// <returns>The adjusted p-values, in the order given.</returns>
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        foreach (var p in pValues)
            if (!(p >= 0 && p <= 1)) throw new ArgumentException($"a p-value must be in [0, 1], not {p}", nameof(pValues));
        var m = pValues.Count;
        // Stable: equal p-values keep their order, as R's order() does.
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, (m - rank) * pValues[order[rank]]));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }
}
