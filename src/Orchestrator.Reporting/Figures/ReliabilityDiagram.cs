namespace Orchestrator.Reporting.Figures;

public sealed record ReliabilitySeries(string Name, IReadOnlyList<(double Confidence, double Accuracy, int Count)> Bins);

/// <summary>Accuracy against mean confidence per non-empty confidence bin; the diagonal is perfect calibration.</summary>
public static class ReliabilityDiagram
{
    public static string Render(string title, IReadOnlyList<ReliabilitySeries> series)
    {
        var svg = new Svg(520, 470, title);
        var plot = new PlotArea(svg, 70, 60, 30, 56);
        plot.Title(title);
        plot.Legend(series.Select((s, i) => (s.Name, PlotArea.Palette[i % PlotArea.Palette.Length])).ToArray());
        var x = plot.X(0, 1);
        var y = plot.Y(0, 1);
        plot.YAxis(y, "accuracy in bin");
        plot.XAxis(x, "mean confidence in bin (top-class probability)");
        svg.Line(x.Map(0), y.Map(0), x.Map(1), y.Map(1), "#888", 1, "4,4");
        for (var i = 0; i < series.Count; i++)
        {
            var color = PlotArea.Palette[i % PlotArea.Palette.Length];
            var bins = series[i].Bins.Where(b => b.Count > 0).ToArray();
            if (bins.Length > 1) svg.Polyline(bins.Select(b => (x.Map(b.Confidence), y.Map(b.Accuracy))), color);
            foreach (var b in bins)
                svg.Circle(x.Map(b.Confidence), y.Map(b.Accuracy), 3 + Math.Min(5, Math.Log10(b.Count + 1) * 2), color,
                    $"{series[i].Name}: confidence {b.Confidence:0.###}, accuracy {b.Accuracy:0.###}, {b.Count} images");
        }
        return svg.ToString();
    }
}
