using ScottPlot;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Figures;

public sealed record CurveSeries(string Name, LearningCurve Curve);

/// <summary>
/// Learning curves: validation (bold, filled circles) and train (faint, open squares) loss per epoch, one colour per
/// series; faint vertical lines labelled "m from→to" at the epochs after which groups were unfrozen, and a diamond
/// labelled "restore eN" where the best weights (those of epoch N) were put back, joined to epoch N at its validation loss.
/// </summary>
public static class LearningChart
{
    public static Chart Render(string title, IReadOnlyList<CurveSeries> series)
    {
        var chart = new Chart(720, 480, title);
        var plot = chart.Plot;
        var points = series.SelectMany(s => s.Curve.Points).ToArray();
        var losses = points.SelectMany(p => new[] { p.TrainLoss, p.ValLoss }).Where(double.IsFinite).ToArray();
        var yMin = losses.DefaultIfEmpty(0).Min();
        var yMax = losses.DefaultIfEmpty(1).Max();
        var pad = Math.Max(1e-6, (yMax - yMin) * 0.08);
        // The event labels stack in up to four rows above the curves.
        var top = yMax + pad + (yMax - yMin + 2 * pad) * 0.3;
        var xMax = Math.Max(2, points.Select(p => p.Epoch).DefaultIfEmpty(1).Max());
        ScottPlot.Plottables.Marker? restoreInLegend = null;

        for (var i = 0; i < series.Count; i++)
        {
            var color = Chart.SeriesColor(i);
            var curve = series[i].Curve;
            Curve(plot, curve.Points.Select(p => (p.Epoch, p.ValLoss)), color, 2.5f, MarkerShape.FilledCircle, $"{series[i].Name}: validation");
            Curve(plot, curve.Points.Select(p => (p.Epoch, p.TrainLoss)), Chart.Faint(color), 1.5f, MarkerShape.OpenSquare, $"{series[i].Name}: train");
            foreach (var (u, j) in curve.Unfreezes.Select((u, j) => (u, j)))
            {
                plot.Add.VerticalLine(u.Epoch, 1.5f, Chart.Faint(color));
                var nearRight = u.Epoch > xMax - (xMax - 1) * 0.12;
                chart.Label(u.Epoch, top, $"m {u.From}\u2192{u.To}", nearRight ? Alignment.UpperRight : Alignment.UpperLeft, 11, color,
                    nearRight ? -3 : 3, 4 + 14 * ((i + j) % 4));
            }
            foreach (var r in curve.Restores)
            {
                var restored = curve.Points.Where(p => p.Epoch == (r.BestEpoch > 0 ? r.BestEpoch : r.Epoch)).Select(p => p.ValLoss).FirstOrDefault(double.NaN);
                if (!double.IsFinite(restored)) continue;
                if (r.BestEpoch > 0 && r.BestEpoch != r.Epoch)
                {
                    var back = plot.Add.Line(r.BestEpoch, restored, r.Epoch, restored);
                    back.LineColor = Chart.Faint(color);
                    back.LineWidth = 1.5f;
                }
                var mark = plot.Add.Marker(r.Epoch, restored, MarkerShape.OpenDiamond, 13, color);
                mark.MarkerLineWidth = 2;
                if (restoreInLegend is null) mark.LegendText = "best weights restored";
                restoreInLegend ??= mark;
                chart.Label(r.Epoch, restored, r.BestEpoch > 0 ? $"restore e{r.BestEpoch}" : "restore initial", Alignment.LowerCenter, 10, color, 0, -9);
            }
        }
        // Last in the list: drawn over the curves and listed after them in the legend.
        if (restoreInLegend is not null) plot.MoveToTop(restoreInLegend);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.SetLimits(0.7, xMax + 0.3, Math.Max(0, yMin - pad), top);
        plot.XLabel("epoch", 14);
        plot.YLabel("loss", 14);
        plot.ShowLegend(Edge.Bottom);
        return chart;
    }

    private static void Curve(Plot plot, IEnumerable<(int Epoch, double Loss)> points, Color color, float width, MarkerShape marker, string name)
    {
        var finite = points.Where(p => double.IsFinite(p.Loss)).ToArray();
        if (finite.Length == 0) return;
        var line = plot.Add.Scatter(finite.Select(p => (double)p.Epoch).ToArray(), finite.Select(p => p.Loss).ToArray(), color);
        line.LineWidth = width;
        line.MarkerShape = marker;
        line.MarkerSize = 7;
        line.LegendText = name;
    }
}
