using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Randomness;

namespace Orchestrator.Reporting.Statistics;

/// <summary>A point estimate and its bootstrap percentile interval.</summary>
public sealed record Interval(double Estimate, double Lower, double Upper);

/// <summary>Bootstrap percentile intervals of accuracy and macro-F1 over <see cref="Resamples"/> resamples.</summary>
public sealed record ClassificationBootstrap(Interval Accuracy, Interval MacroF1, int Resamples, double Confidence, ulong Seed);

/// <summary>
/// Nonparametric bootstrap of a test set: each resample draws as many samples as there are, with replacement,
/// from SplitMix64(seed), so a seed fixes the interval on every platform. The interval's bounds are the
/// (1 - confidence)/2 and (1 + confidence)/2 quantiles of the resampled metrics, interpolated linearly between order
/// statistics (R's quantile type 7, NumPy's default). Macro-F1 is <see cref="ClassificationMetrics"/>'s, over all classes.
/// </summary>
public static class BootstrapCi
{
    public static ClassificationBootstrap Classification(
        IReadOnlyList<int> labels, IReadOnlyList<int> predictions, int classes, int resamples = 1000, ulong seed = 1, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(predictions);
        if (labels.Count == 0) throw new ArgumentException("no samples to resample");
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 2);
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "must be in (0, 1)");

        var point = ClassificationMetrics.Compute(labels, predictions, classes);
        var n = labels.Count;
        var rng = new SplitMix64(seed);
        var accuracies = new double[resamples];
        var f1s = new double[resamples];
        var y = new int[n];
        var p = new int[n];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < n; i++)
            {
                var j = rng.NextInt(n);
                y[i] = labels[j];
                p[i] = predictions[j];
            }
            var m = ClassificationMetrics.Compute(y, p, classes);
            accuracies[r] = m.Accuracy;
            f1s[r] = m.MacroF1;
        }
        return new ClassificationBootstrap(
            Percentiles(point.Accuracy, accuracies, confidence),
            Percentiles(point.MacroF1, f1s, confidence),
            resamples, confidence, seed);
    }

    /// <summary>Quantile <paramref name="p"/> of <paramref name="values"/> by linear interpolation (type 7).</summary>
    public static double Quantile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("no values");
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "must be in [0, 1]");
        var sorted = values.Order().ToArray();
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static Interval Percentiles(double estimate, double[] values, double confidence) =>
        new(estimate, Quantile(values, (1 - confidence) / 2), Quantile(values, (1 + confidence) / 2));
}
