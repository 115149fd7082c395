using MathNet.Numerics.Distributions;

namespace Orchestrator.Reporting.Statistics;

/// <summary>
/// Result of a paired t-test on the differences d = x - y. <see cref="SdDifference"/> is the sample standard
/// deviation (n - 1 denominator); the confidence interval is for the mean difference.
/// </summary>
public sealed record PairedTTestResult(
    int N,
    double MeanDifference,
    double SdDifference,
    double T,
    int DegreesOfFreedom,
    double PValue,
    double Confidence,
    double CiLower,
    double CiUpper);

/// <summary>Two-sided paired (dependent samples) t-test, as <c>scipy.stats.ttest_rel(x, y)</c> and R's <c>t.test(x, y, paired=TRUE)</c>.</summary>
public static class PairedTTest
{
    public static PairedTTestResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y, double confidence = 0.95)
    {
        Guard.Paired(x, y);
        if (x.Count < 2) throw new ArgumentException($"a paired t-test needs at least 2 pairs, got {x.Count}");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must be in (0, 1)");

        var n = x.Count;
        var d = new double[n];
        for (var i = 0; i < n; i++) d[i] = x[i] - y[i];
        var mean = d.Average();
        var sd = Math.Sqrt(d.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        if (sd == 0)
            throw new ArgumentException("every difference is the same, so their standard deviation is 0 and the t statistic is undefined");

        var df = n - 1;
        var se = sd / Math.Sqrt(n);
        var t = mean / se;
        var p = Math.Min(1.0, 2 * StudentT.CDF(0, 1, df, -Math.Abs(t)));
        var half = StudentT.InvCDF(0, 1, df, 0.5 + confidence / 2) * se;
        return new PairedTTestResult(n, mean, sd, t, df, p, confidence, mean - half, mean + half);
    }
}
