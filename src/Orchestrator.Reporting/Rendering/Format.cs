using System.Globalization;
using Orchestrator.Reporting.Reports;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Rendering;

/// <summary>How report numbers are written: invariant culture, fixed digits, mean ± sd over seeds.</summary>
public static class Format
{
    public static string F(double value, int digits = 3) =>
        double.IsFinite(value) ? value.ToString("F" + digits, CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture);

    public static string P(double p) => p < 1e-4 ? p.ToString("0.0e+0", CultureInfo.InvariantCulture) : F(p, 4);

    public static string I(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string MeanSd(MeanSd? m, int digits = 3) =>
        m is null ? "-" : m.Sd is { } sd ? $"{F(m.Mean, digits)} ± {F(sd, digits)}" : F(m.Mean, digits);

    public static string Ci(Interval? i) => i is null ? "-" : $"{F(i.Estimate)} [{F(i.Lower)}, {F(i.Upper)}]";

    public static string Megabytes(MeanSd m) => MeanSd(m with { Mean = m.Mean / 1e6, Sd = m.Sd / 1e6 }, 2);
}
