namespace Orchestrator.Reporting.Figures;

/// <summary>A vertical marker at <c>X</c> (e.g. an unfreeze after that epoch) with a short label.</summary>
public sealed record Marker(double X, string Label);

public sealed record LineSeries(string Name, IReadOnlyList<(double X, double Y)> Points, IReadOnlyList<Marker> Markers);

/// <summary>Lines with point markers and labelled vertical event markers in the series' colour (learning curves).</summary>
public static class LineChart
{
    public static string Render(string title, string xLabel, string yLabel, IReadOnlyList<LineSeries> series)
    {
        var svg = new Svg(640, 380, title);
        var plot = new PlotArea(svg, 70, 60, 24, 56);
        plot.Title(title);
        plot.Legend(series.Select((s, i) => (s.Name, PlotArea.Palette[i % PlotArea.Palette.Length])).ToArray());
        var points = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToArray();
        var xMax = Math.Max(2, points.Select(p => p.X).DefaultIfEmpty(1).Max());
        var yMin = points.Select(p => p.Y).DefaultIfEmpty(0).Min();
        var yMax = points.Select(p => p.Y).DefaultIfEmpty(1).Max();
        var pad = Math.Max(1e-6, (yMax - yMin) * 0.08);
        var x = plot.X(1, xMax);
        var y = plot.Y(Math.Max(0, yMin - pad), yMax + pad);
        plot.YAxis(y, yLabel);
        plot.XAxis(x, xLabel, v => v == Math.Floor(v) ? PlotArea.Default(v) : "");

        for (var i = 0; i < series.Count; i++)
        {
            var color = PlotArea.Palette[i % PlotArea.Palette.Length];
            var s = series[i];
            foreach (var (m, j) in s.Markers.Select((m, j) => (m, j)))
            {
                var px = x.Map(m.X);
                svg.Line(px, plot.Top, px, plot.Bottom, color, 1.2, "5,4");
                var nearRight = px > plot.Right - 60;
                svg.Text(nearRight ? px - 3 : px + 3, plot.Top + 12 + 13 * ((i + j) % 4), m.Label, 10, nearRight ? "end" : "start", fill: color);
            }
            var mapped = s.Points.Where(p => double.IsFinite(p.Y)).Select(p => (x.Map(p.X), y.Map(p.Y))).ToArray();
            if (mapped.Length > 1) svg.Polyline(mapped, color);
            foreach (var (p, (px, py)) in s.Points.Where(p => double.IsFinite(p.Y)).Zip(mapped))
                svg.Circle(px, py, 3, color, $"{s.Name}, epoch {p.X}: {p.Y:0.####}");
        }
        return svg.ToString();
    }
}
