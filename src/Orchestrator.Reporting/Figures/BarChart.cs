namespace Orchestrator.Reporting.Figures;

/// <summary>One series of a grouped bar chart: a value (and optional error half-width) per category; null = no value.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double?> Values, IReadOnlyList<double?> Errors);

/// <summary>Bars grouped by category (e.g. backbone), one bar per series (e.g. strategy), values in [0, 1], as the paper's Figures 3 and 4.</summary>
public static class BarChart
{
    public static string Render(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series)
    {
        var width = Math.Max(480, 110 + categories.Count * (40 + 28 * series.Count));
        var svg = new Svg(width, 380, title);
        var plot = new PlotArea(svg, 64, 56, 20, 80);
        plot.Title(title);
        plot.Legend(series.Select((s, i) => (s.Name, PlotArea.Palette[i % PlotArea.Palette.Length])).ToArray());
        var y = plot.Y(0, 1);
        plot.YAxis(y, yLabel);
        plot.XLine();

        var groupWidth = (plot.Right - plot.Left) / Math.Max(1, categories.Count);
        var barWidth = Math.Min(40, groupWidth * 0.8 / Math.Max(1, series.Count));
        for (var c = 0; c < categories.Count; c++)
        {
            var center = plot.Left + groupWidth * (c + 0.5);
            var start = center - barWidth * series.Count / 2;
            for (var s = 0; s < series.Count; s++)
            {
                var x = start + s * barWidth;
                var color = PlotArea.Palette[s % PlotArea.Palette.Length];
                if (series[s].Values[c] is not { } value)
                {
                    svg.Text(x + barWidth / 2, plot.Bottom - 4, "n/a", 10, "middle", fill: "#888");
                    continue;
                }
                var top = y.Map(Math.Clamp(value, 0, 1));
                svg.Rect(x + 1, top, barWidth - 2, plot.Bottom - top, color, tooltip: $"{categories[c]}, {series[s].Name}: {value:0.####}");
                svg.Text(x + barWidth / 2, top - 3, value.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), 9, "middle");
                if (series[s].Errors[c] is { } error && error > 0)
                {
                    var hi = y.Map(Math.Min(1, value + error));
                    var lo = y.Map(Math.Max(0, value - error));
                    svg.Line(x + barWidth / 2, hi, x + barWidth / 2, lo, "#111", 1.2);
                    svg.Line(x + barWidth / 2 - 4, hi, x + barWidth / 2 + 4, hi, "#111", 1.2);
                    svg.Line(x + barWidth / 2 - 4, lo, x + barWidth / 2 + 4, lo, "#111", 1.2);
                }
            }
            svg.Text(center, plot.Bottom + 16, categories[c], 11, "middle");
        }
        return svg.ToString();
    }
}
