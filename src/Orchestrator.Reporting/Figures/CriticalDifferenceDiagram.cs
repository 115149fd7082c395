using System.Globalization;
using ScottPlot;

namespace Orchestrator.Reporting.Figures;

/// <summary>
/// Demsar's critical-difference diagram: treatments on an axis of average rank (here rank k = best, since rank 1 is
/// the lowest score), a bar of length CD, and thick lines joining treatments whose ranks differ by no more than CD.
/// ScottPlot has no such plot type, so it is drawn from ScottPlot lines and texts on a plot without axes, in data
/// coordinates of rank across and pixels down.
/// </summary>
public static class CriticalDifferenceDiagram
{
    private const int AxisWidth = 360, TitleRoom = 44, AxisY = 76;

    public static Chart Render(string title, IReadOnlyList<string> treatments, IReadOnlyList<double> averageRanks, double criticalDifference)
    {
        var k = treatments.Count;
        var labelRoom = 30 + 7 * treatments.Select(t => t.Length + 7).DefaultIfEmpty(10).Max();
        var height = AxisY + 60 + 24 * k;
        var chart = new Chart(2 * labelRoom + AxisWidth, TitleRoom + height, title);
        var plot = chart.Plot;
        plot.HideAxesAndGrid();
        plot.Axes.Title.IsVisible = true;
        plot.Layout.Fixed(new PixelPadding(0, 0, 0, TitleRoom));
        var top = Math.Max(2, k);
        var perRank = (double)AxisWidth / (top - 1);
        plot.Axes.SetLimitsX(1 - labelRoom / perRank, top + labelRoom / perRank);
        plot.Axes.SetLimitsY(height, 0);

        Segment(plot, 1, AxisY, top, AxisY, Colors.Black, 1.5f);
        for (var r = 1; r <= top; r++)
        {
            Segment(plot, r, AxisY - 5, r, AxisY, Colors.Black, 1);
            chart.Label(r, AxisY - 8, r.ToString(CultureInfo.InvariantCulture), Alignment.LowerCenter);
        }
        chart.Label(top, AxisY - 26, "average rank (higher = better)", Alignment.LowerRight);

        // A CD longer than the axis means no two treatments can differ: the bar stops at the axis end and says so.
        var clipped = 1 + criticalDifference > top;
        var red = Color.FromHex("#d62728");
        Segment(plot, 1, 26, Math.Min(top, 1 + criticalDifference), 26, red, 2.5f);
        chart.Label(1, 20, string.Create(CultureInfo.InvariantCulture, $"CD = {criticalDifference:0.###}") + (clipped ? " (longer than the rank axis)" : ""),
            Alignment.LowerLeft, color: red);

        var order = Enumerable.Range(0, k).OrderBy(i => averageRanks[i]).ToArray();
        var axisLeft = 1 - 10 / perRank;
        var axisRight = top + 10 / perRank;
        for (var j = 0; j < k; j++)
        {
            var i = order[j];
            var y = AxisY + 40 + 24 * j;
            var left = j < (k + 1) / 2;
            var end = left ? axisLeft : axisRight;
            Segment(plot, averageRanks[i], AxisY, averageRanks[i], y, Colors.DimGray, 1);
            Segment(plot, averageRanks[i], y, end, y, Colors.DimGray, 1);
            chart.Label(end, y, string.Create(CultureInfo.InvariantCulture, $"{treatments[i]} ({averageRanks[i]:0.##})"),
                left ? Alignment.MiddleRight : Alignment.MiddleLeft, offsetX: left ? -4 : 4);
        }

        // Maximal runs of treatments (in rank order) whose first and last differ by at most CD are not told apart.
        var cliqueRow = 0;
        var lastEnd = -1;
        for (var a = 0; a < k; a++)
        {
            var b = a;
            while (b + 1 < k && averageRanks[order[b + 1]] - averageRanks[order[a]] <= criticalDifference) b++;
            if (b > a && b > lastEnd)
            {
                var y = AxisY + 12 + 7 * cliqueRow++;
                Segment(plot, averageRanks[order[a]] - 3 / perRank, y, averageRanks[order[b]] + 3 / perRank, y, Colors.Black, 4);
                lastEnd = b;
            }
        }
        return chart;
    }

    private static void Segment(Plot plot, double x1, double y1, double x2, double y2, Color color, float width)
    {
        var line = plot.Add.Line(x1, y1, x2, y2);
        line.LineColor = color;
        line.LineWidth = width;
    }
}
