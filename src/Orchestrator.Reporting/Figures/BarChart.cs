using System.Globalization;
using ScottPlot;

namespace Orchestrator.Reporting.Figures;

/// <summary>One series of a grouped bar chart: a value (and optional error half-width) per category; null = no value.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double?> Values, IReadOnlyList<double?> Errors);

/// <summary>Bars grouped by category (e.g. backbone), one bar per series (e.g. strategy), values in [0, 1], as the paper's
/// Figures 3 and 4. Each bar is labelled with its value and, where it has error bars, their half-width ("± sd").</summary>
public static class BarChart
{
    private const double GroupWidth = 0.8;

    public static Chart Render(string title, string xLabel, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
    {
        var chart = new Chart(Math.Max(560, 160 + categories.Count * (40 + 64 * series.Count)), 460, title);
        var plot = chart.Plot;
        var slot = GroupWidth / Math.Max(1, series.Count);
        for (var s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < categories.Count; c++)
            {
                var x = c + (s - (series.Count - 1) / 2.0) * slot;
                if (series[s].Values[c] is not { } value)
                {
                    chart.Label(x, 0, "n/a", Alignment.LowerCenter, color: Colors.Gray, offsetY: -2);
                    continue;
                }
                var error = series[s].Errors[c] is { } e && e > 0 ? e : 0;
                bars.Add(new Bar { Position = x, Value = Math.Clamp(value, 0, 1), Error = error, Size = slot * 0.9, FillColor = Chart.SeriesColor(s) });
                chart.Label(x, Math.Min(1, value + error), ValueText(value, error), Alignment.LowerCenter, offsetY: -6);
            }
            plot.Add.Bars(bars).LegendText = series[s].Name;
        }
        Chart.NamedTicks(plot.Axes.Bottom, [.. categories.Select((_, i) => (double)i)], categories);
        Chart.UnitTicks(plot.Axes.Left);
        // Headroom above 1 for the value labels of the best bars.
        plot.Axes.SetLimits(-0.5, categories.Count - 0.5, 0, 1.14);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        plot.ShowLegend(Edge.Bottom);
        return chart;
    }

    private static string ValueText(double value, double error) => error > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{value:0.000}\n± {error:0.000}")
        : value.ToString("0.000", CultureInfo.InvariantCulture);
}
