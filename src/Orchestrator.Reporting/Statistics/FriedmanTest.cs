using MathNet.Numerics;

namespace Orchestrator.Reporting.Statistics;

/// <summary>Two treatments' average ranks compared by the Nemenyi test.</summary>
public sealed record NemenyiComparison(
    int First,
    int Second,
    double RankDifference,
    bool Differ,
    double PValue);

/// <summary>
/// Result of a Friedman test on n blocks x k treatments, with the Iman-Davenport F and the Nemenyi post-hoc
/// comparison of every pair of treatments (indexes refer to the treatments' column order). Rank 1 is the smallest
/// value in a block; average ranks are therefore higher for treatments with higher scores.
/// </summary>
public sealed record FriedmanResult(
    int Blocks,
    int Treatments,
    IReadOnlyList<double> AverageRanks,
    double ChiSquare,
    int DegreesOfFreedom,
    double PValue,
    double ImanDavenportF,
    int ImanDavenportDf1,
    int ImanDavenportDf2,
    double ImanDavenportPValue,
    double Alpha,
    double NemenyiQAlpha,
    double NemenyiCriticalDifference,
    IReadOnlyList<NemenyiComparison> Pairs)
{
    /// <summary>Two treatments: the Friedman test is then the two-sided sign test (normal approximation, no continuity
    /// correction), and a reader should know it.</summary>
    public bool IsSignTest => Treatments == 2;
}

/// <summary>
/// Friedman's rank test for k related samples, with the tie correction of scipy.stats.friedmanchisquare and R's
/// friedman.test: chi2 = (12 / (n k (k+1)) sum R_j^2 - 3 n (k+1)) / (1 - sum(t^3 - t) / (n (k^3 - k))).
/// Iman-Davenport: F = (n-1) chi2 / (n (k-1) - chi2) on (k-1, (k-1)(n-1)) degrees of freedom.
/// Nemenyi (Demsar 2006): CD = q_alpha sqrt(k (k+1) / (6 n)) with q_alpha the studentized range quantile at
/// 1 - alpha for k means and infinite df, divided by sqrt 2; a pair differs when its average ranks differ by more than CD.
/// A pair's p-value is P(Q >= |difference| sqrt 2 / sqrt(k (k+1) / (6 n))) for the same distribution.
/// With k = 2, as R's friedman.test (SciPy refuses it), chi2 is the sign test's (W - L)^2 / (W + L), tied blocks
/// dropped by the tie correction: see <see cref="FriedmanResult.IsSignTest"/>.
/// </summary>
public static class FriedmanTest
{
    /// <param name="data">data[block][treatment]; every block has the same number of treatments.</param>
    public static FriedmanResult Test(IReadOnlyList<IReadOnlyList<double>> data, double alpha = 0.05)
    {
        ArgumentNullException.ThrowIfNull(data);
        var n = data.Count;
        if (n < 2) throw new ArgumentException($"the Friedman test needs at least 2 blocks, got {n}");
        var k = data[0].Count;
        if (k < 2) throw new ArgumentException($"the Friedman test needs at least 2 treatments, got {k}");
        if (!(alpha > 0 && alpha < 1)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be in (0, 1)");

        var rankSums = new double[k];
        double tieSum = 0;
        for (var b = 0; b < n; b++)
        {
            if (data[b].Count != k) throw new ArgumentException($"block {b} has {data[b].Count} treatments, block 0 has {k}");
            Guard.Finite(data[b], $"data[{b}]");
            var ranked = Ranking.Average(data[b]);
            for (var j = 0; j < k; j++) rankSums[j] += ranked.Ranks[j];
            tieSum += ranked.TieCubeSum;
        }

        var tieCorrection = 1 - tieSum / (n * ((double)k * k * k - k));
        if (tieCorrection <= 0)
            throw new ArgumentException("every block ties all treatments; the Friedman statistic is undefined");
        var chi2 = (12.0 / (n * k * (k + 1)) * rankSums.Sum(r => r * r) - 3.0 * n * (k + 1)) / tieCorrection;
        chi2 = Math.Max(0, chi2);
        var df = k - 1;
        var p = chi2 > 0 ? SpecialFunctions.GammaUpperRegularized(df / 2.0, chi2 / 2) : 1.0;

        var df1 = k - 1;
        var df2 = (k - 1) * (n - 1);
        var denominator = n * (k - 1) - chi2;
        // Complete agreement of every block makes chi2 = n (k-1): F is then infinite and its p-value 0.
        var f = denominator <= 1e-12 * n * (k - 1) ? double.PositiveInfinity : (n - 1) * chi2 / denominator;
        var fp = double.IsPositiveInfinity(f) ? 0 : f <= 0 ? 1 : SpecialFunctions.BetaRegularized(df2 / 2.0, df1 / 2.0, df2 / (df2 + df1 * f));

        var averageRanks = rankSums.Select(r => r / n).ToArray();
        var q = StudentizedRange.Quantile(1 - alpha, k) / Math.Sqrt(2);
        var scale = Math.Sqrt(k * (k + 1) / (6.0 * n));
        var cd = q * scale;
        var pairs = new List<NemenyiComparison>();
        for (var i = 0; i < k; i++)
            for (var j = i + 1; j < k; j++)
            {
                var diff = averageRanks[i] - averageRanks[j];
                var pPair = 1 - StudentizedRange.Cdf(Math.Abs(diff) * Math.Sqrt(2) / scale, k);
                pairs.Add(new NemenyiComparison(i, j, diff, Math.Abs(diff) > cd, Math.Clamp(pPair, 0, 1)));
            }

        return new FriedmanResult(n, k, averageRanks, chi2, df, p, f, df1, df2, fp, alpha, q, cd, pairs);
    }
}
