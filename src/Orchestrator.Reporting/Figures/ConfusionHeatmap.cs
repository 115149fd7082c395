using System.Globalization;
using ScottPlot;

namespace Orchestrator.Reporting.Figures;

/// <summary>A row-normalized confusion matrix as a heatmap (true class down, predicted across), each cell's share and
/// image count written in, as the paper's Figure 5.</summary>
public static class ConfusionHeatmap
{
    public static Chart Render(string title, IReadOnlyList<string> classes, IReadOnlyList<IReadOnlyList<double>> normalized, IReadOnlyList<IReadOnlyList<int>> counts)
    {
        var k = classes.Count;
        var cell = (int)Math.Clamp(400.0 / Math.Max(1, k), 44, 90);
        var labelRoom = 20 + 7 * classes.Select(c => c.Length).DefaultIfEmpty(0).Max();
        var chart = new Chart(120 + labelRoom + cell * k, 110 + (int)(0.72 * labelRoom) + cell * k, title);
        var plot = chart.Plot;
        // Cells are drawn as rectangles, not ScottPlot's Heatmap, which Skia's SVG canvas would embed as a bitmap.
        for (var t = 0; t < k; t++)
        for (var p = 0; p < k; p++)
        {
            var v = Math.Clamp(normalized[t][p], 0, 1);
            var row = k - 1 - t;
            var rect = plot.Add.Rectangle(p, p + 1, row, row + 1);
            rect.FillColor = Shade(v);
            rect.LineColor = Colors.White;
            chart.Label(p + 0.5, row + 0.5, string.Create(CultureInfo.InvariantCulture, $"{v:0.00}\n({counts[t][p]})"),
                Alignment.MiddleCenter, 12, v > 0.5 ? Colors.White : Colors.Black);
        }
        var centres = Enumerable.Range(0, k).Select(i => i + 0.5).ToArray();
        Chart.NamedTicks(plot.Axes.Bottom, centres, classes);
        Chart.NamedTicks(plot.Axes.Left, centres, [.. classes.Reverse()]);
        if (labelRoom > cell)
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
            // Room for the longest name at 45 degrees, which ScottPlot does not measure by itself.
            plot.Axes.Bottom.MinimumSize = (float)(0.72 * labelRoom + 30);
        }
        plot.Axes.SetLimits(0, k, 0, k);
        plot.HideGrid();
        plot.XLabel("predicted class", 14);
        plot.YLabel("true class", 14);
        return chart;
    }

    /// <summary>White (0) to dark blue (1).</summary>
    private static Color Shade(double v) =>
        new((byte)(255 - v * (255 - 8)), (byte)(255 - v * (255 - 48)), (byte)(255 - v * (255 - 107)));
}
