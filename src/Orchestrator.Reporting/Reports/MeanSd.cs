namespace Orchestrator.Reporting.Reports;

/// <summary>Mean and sample standard deviation (n - 1) of a figure over seeds; <c>Sd</c> is null for one value.</summary>
public sealed record MeanSd(double Mean, double? Sd, int N)
{
    public static MeanSd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("no values");
        var mean = values.Average();
        double? sd = values.Count < 2 ? null : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new MeanSd(mean, sd, values.Count);
    }
}
