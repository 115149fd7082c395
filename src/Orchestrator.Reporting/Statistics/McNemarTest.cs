using MathNet.Numerics;
using MathNet.Numerics.Distributions;

namespace Orchestrator.Reporting.Statistics;

/// <summary>
/// McNemar's test of two classifiers on the same samples. <see cref="B"/>: samples only the first got right;
/// <see cref="C"/>: samples only the second got right. <see cref="ChiSquare"/> is continuity corrected,
/// (|b - c| - 1)^2 / (b + c) on 1 df, as R's <c>mcnemar.test(table, correct=TRUE)</c>, which (and so this) leaves the
/// correction out when b = c, making chi2 = 0; <see cref="ExactPValue"/> is
/// the two-sided binomial p of b among b + c discordant pairs at 1/2, as R's <c>binom.test(b, b + c)</c> and
/// statsmodels' <c>mcnemar(table, exact=True)</c>. With no discordant pair both p-values are 1 and chi2 is 0.
/// </summary>
public sealed record McNemarResult(int B, int C, double ChiSquare, double ChiSquarePValue, double ExactPValue);

public static class McNemarTest
{
    public static McNemarResult FromCounts(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        var discordant = b + c;
        if (discordant == 0) return new McNemarResult(b, c, 0, 1, 1);

        var chi2 = b == c ? 0 : Math.Pow(Math.Abs(b - c) - 1, 2) / discordant;
        var chiP = chi2 > 0 ? SpecialFunctions.GammaUpperRegularized(0.5, chi2 / 2) : 1.0;
        // Binomial(b + c, 1/2) is symmetric, so the two-sided p is twice the smaller tail.
        var exact = Math.Min(1.0, 2 * Binomial.CDF(0.5, discordant, Math.Min(b, c)));
        return new McNemarResult(b, c, chi2, chiP, exact);
    }

    /// <summary>Counts b and c from the true labels and two classifiers' predictions of the same samples.</summary>
    public static McNemarResult FromPredictions(IReadOnlyList<int> labels, IReadOnlyList<int> first, IReadOnlyList<int> second)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        if (first.Count != labels.Count || second.Count != labels.Count)
            throw new ArgumentException($"{labels.Count} labels but {first.Count} and {second.Count} predictions");
        int b = 0, c = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var firstRight = first[i] == labels[i];
            var secondRight = second[i] == labels[i];
            if (firstRight && !secondRight) b++;
            else if (!firstRight && secondRight) c++;
        }
        return FromCounts(b, c);
    }
}
