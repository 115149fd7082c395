using MathNet.Numerics.Distributions;

namespace Orchestrator.Reporting.Statistics;

public enum WilcoxonMethod
{
    /// <summary>Exact null distribution of V, by counting the 2^n equally likely sign assignments.</summary>
    Exact,

    /// <summary>Normal approximation with the tie correction of the variance (and, if asked, the continuity correction).</summary>
    NormalApproximation,
}

/// <summary>
/// Result of a two-sided Wilcoxon signed-rank test on d = x - y. <see cref="V"/> is W+, the sum of the ranks of
/// |d| over the positive differences (R's V); <see cref="WMinus"/> is the sum over the negative ones (SciPy reports
/// min(W+, W-) as its statistic). <see cref="N"/> counts the non-zero differences actually ranked.
/// <see cref="Z"/> is set only for the normal approximation.
/// </summary>
public sealed record WilcoxonResult(
    int N,
    int ZerosDropped,
    bool HasTies,
    double V,
    double WMinus,
    double PValue,
    WilcoxonMethod Method,
    bool ContinuityCorrection,
    double? Z);

/// <summary>
/// Two-sided Wilcoxon signed-rank test for paired samples, matching R's default
/// <c>wilcox.test(x, y, paired=TRUE)</c> (exact = NULL, correct = TRUE):
/// zero differences are dropped before ranking (Wilcoxon's method; SciPy's <c>zero_method='wilcox'</c>);
/// with no zeros, no ties and n &lt;= <see cref="ExactLimit"/> the p-value is exact; otherwise it comes from the
/// normal approximation with tie-corrected variance and a 0.5 continuity correction towards the mean.
/// One deviation from R: R computes exactly only for n &lt; 50, so at n = 50 exactly R approximates while this
/// (like SciPy's <c>method='auto'</c>) counts.
/// </summary>
public static class WilcoxonSignedRank
{
    public const int ExactLimit = 50;

    public static WilcoxonResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y, bool continuityCorrection = true)
    {
        Guard.Paired(x, y);
        var nonZero = new List<double>(x.Count);
        for (var i = 0; i < x.Count; i++)
        {
            var d = x[i] - y[i];
            if (d != 0) nonZero.Add(d);
        }
        var zeros = x.Count - nonZero.Count;
        var n = nonZero.Count;
        if (n == 0) throw new ArgumentException("every difference is zero; the signed-rank test has nothing to rank");

        var ranked = Ranking.Average(nonZero.Select(Math.Abs).ToArray());
        double plus = 0, minus = 0;
        for (var i = 0; i < n; i++)
            if (nonZero[i] > 0) plus += ranked.Ranks[i];
            else minus += ranked.Ranks[i];

        if (n <= ExactLimit && zeros == 0 && !ranked.HasTies)
            return new WilcoxonResult(n, zeros, false, plus, minus, ExactPValue((int)plus, n), WilcoxonMethod.Exact, false, null);

        var mean = n * (n + 1) / 4.0;
        var variance = n * (n + 1) * (2.0 * n + 1) / 24 - ranked.TieCubeSum / 48;
        if (variance <= 0) throw new ArgumentException("the differences leave no variance for the normal approximation");
        var shift = continuityCorrection ? 0.5 * Math.Sign(plus - mean) : 0;
        var z = (plus - mean - shift) / Math.Sqrt(variance);
        var p = Math.Min(1.0, 2 * Normal.CDF(0, 1, -Math.Abs(z)));
        return new WilcoxonResult(n, zeros, ranked.HasTies, plus, minus, p, WilcoxonMethod.NormalApproximation, continuityCorrection, z);
    }

    /// <summary>Two-sided exact p for W+ = <paramref name="v"/> among <paramref name="n"/> distinct non-zero ranks.</summary>
    public static double ExactPValue(int v, int n)
    {
        var counts = NullCounts(n);
        var max = n * (n + 1) / 2;
        if (v < 0 || v > max) throw new ArgumentOutOfRangeException(nameof(v), v, $"W+ must be in [0, {max}]");
        // The null distribution is symmetric about max/2: double the smaller tail, the observed value included.
        var tail = Math.Min(v, max - v);
        double atOrBelow = 0;
        for (var s = 0; s <= tail; s++) atOrBelow += counts[s];
        return Math.Min(1.0, 2 * atOrBelow / Math.Pow(2, n));
    }

    /// <summary>counts[s] = number of subsets of {1..n} whose sum is s; exact in a long up to n = 62.</summary>
    private static long[] NullCounts(int n)
    {
        if (n < 1 || n > 62) throw new ArgumentOutOfRangeException(nameof(n), n, "must be in [1, 62]");
        var max = n * (n + 1) / 2;
        var counts = new long[max + 1];
        counts[0] = 1;
        for (var rank = 1; rank <= n; rank++)
            for (var s = rank * (rank + 1) / 2; s >= rank; s--)
                counts[s] += counts[s - rank];
        return counts;
    }
}
