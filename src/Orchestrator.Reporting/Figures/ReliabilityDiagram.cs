using ScottPlot;

namespace Orchestrator.Reporting.Figures;

public sealed record ReliabilitySeries(string Name, IReadOnlyList<(double Confidence, double Accuracy, int Count)> Bins);

/// <summary>Accuracy against mean confidence per non-empty confidence bin; the grey diagonal is perfect calibration
/// and a marker's size grows with its bin's image count.</summary>
public static class ReliabilityDiagram
{
    public static Chart Render(string title, IReadOnlyList<ReliabilitySeries> series)
    {
        var chart = new Chart(580, 620, title);
        var plot = chart.Plot;
        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LineColor = Chart.Faint(Colors.Gray);
        diagonal.LegendText = "perfect calibration";
        for (var i = 0; i < series.Count; i++)
        {
            var color = Chart.SeriesColor(i);
            var bins = series[i].Bins.Where(b => b.Count > 0).ToArray();
            var line = plot.Add.Scatter(bins.Select(b => b.Confidence).ToArray(), bins.Select(b => b.Accuracy).ToArray(), color);
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = series[i].Name;
            foreach (var b in bins)
                plot.Add.Marker(b.Confidence, b.Accuracy, MarkerShape.FilledCircle, (float)(6 + Math.Min(10, Math.Log10(b.Count + 1) * 4)), color);
        }
        Chart.UnitTicks(plot.Axes.Bottom);
        Chart.UnitTicks(plot.Axes.Left);
        plot.Axes.SetLimits(-0.03, 1.03, -0.03, 1.03);
        plot.XLabel("mean confidence in bin (top-class probability)", 14);
        plot.YLabel("accuracy in bin", 14);
        plot.ShowLegend(Edge.Bottom);
        return chart;
    }
}
