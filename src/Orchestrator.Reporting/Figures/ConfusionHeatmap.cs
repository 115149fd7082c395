using System.Globalization;

namespace Orchestrator.Reporting.Figures;

/// <summary>A row-normalized confusion matrix as a heatmap (true class down, predicted across), as the paper's Figure 5.</summary>
public static class ConfusionHeatmap
{
    public static string Render(string title, IReadOnlyList<string> classes, IReadOnlyList<IReadOnlyList<double>> normalized, IReadOnlyList<IReadOnlyList<int>> counts)
    {
        var k = classes.Count;
        var cell = Math.Clamp(420.0 / Math.Max(1, k), 34, 70);
        var labelRoom = 14 + 7 * classes.Select(c => c.Length).DefaultIfEmpty(0).Max();
        var left = 40 + labelRoom;
        var top = 50.0;
        var svg = new Svg(left + cell * k + 90, top + cell * k + labelRoom + 40, title);
        svg.Text(svg.Width / 2, 22, title, 15, "middle", bold: true);
        for (var t = 0; t < k; t++)
        for (var p = 0; p < k; p++)
        {
            var v = Math.Clamp(normalized[t][p], 0, 1);
            var x = left + p * cell;
            var y = top + t * cell;
            svg.Rect(x, y, cell, cell, Shade(v), "#ffffff", $"true {classes[t]}, predicted {classes[p]}: {v:0.###} ({counts[t][p]} images)");
            svg.Text(x + cell / 2, y + cell / 2 + 4, v.ToString("0.00", CultureInfo.InvariantCulture), 11, "middle", fill: v > 0.5 ? "#ffffff" : "#222");
        }
        for (var c = 0; c < k; c++)
        {
            svg.Text(left - 6, top + c * cell + cell / 2 + 4, classes[c], 11, "end");
            svg.Text(left + c * cell + cell / 2, top + k * cell + 10, classes[c], 11, "end", rotate: -45);
        }
        svg.Text(14, top + k * cell / 2, "true class", 12, "middle", rotate: -90);
        svg.Text(left + k * cell / 2, svg.Height - 8, "predicted class", 12, "middle");

        // Colour scale.
        var scaleX = left + k * cell + 30;
        for (var i = 0; i < 10; i++)
            svg.Rect(scaleX, top + (9 - i) * cell * k / 10, 16, cell * k / 10 + 0.5, Shade((i + 0.5) / 10));
        svg.Text(scaleX + 20, top + 10, "1", 10);
        svg.Text(scaleX + 20, top + cell * k, "0", 10);
        return svg.ToString();
    }

    /// <summary>White (0) to dark blue (1).</summary>
    private static string Shade(double v)
    {
        int r = (int)(255 - v * (255 - 8)), g = (int)(255 - v * (255 - 48)), b = (int)(255 - v * (255 - 107));
        return $"#{r:x2}{g:x2}{b:x2}";
    }
}
