using ScottPlot;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Figures;

/// <summary>Each cell's search: the best validation loss found so far against the epochs spent (rung by rung), one
/// line per cell, with a faint vertical line at the epochs its full grid would have spent.</summary>
public static class TuningChart
{
    public static Chart Render(string title, IReadOnlyList<TuningCell> cells)
    {
        var chart = new Chart(720, 480, title);
        var plot = chart.Plot;
        for (var i = 0; i < cells.Count; i++)
        {
            var color = Chart.SeriesColor(i);
            var finite = cells[i].Curve.Where(p => double.IsFinite(p.BestValLoss)).ToArray();
            if (finite.Length == 0) continue;
            var line = plot.Add.Scatter(finite.Select(p => (double)p.Epochs).ToArray(), finite.Select(p => p.BestValLoss).ToArray(), color);
            line.LineWidth = 2.5f;
            line.MarkerSize = 0;
            line.LegendText = $"{cells[i].Cell}: {cells[i].Epochs} of {cells[i].GridEpochs} grid epochs";
            plot.Add.VerticalLine(cells[i].GridEpochs, 1.5f, Chart.Faint(color));
        }
        plot.XLabel("epochs spent", 14);
        plot.YLabel("best validation loss so far", 14);
        plot.ShowLegend(Edge.Bottom);
        return chart;
    }
}
