using System.Globalization;

namespace Orchestrator.Reporting.Figures;

/// <summary>
/// Demsar's critical-difference diagram: treatments on an axis of average rank (here rank k = best, since rank 1 is
/// the lowest score), a bar of length CD, and thick lines joining treatments whose ranks differ by no more than CD.
/// </summary>
public static class CriticalDifferenceDiagram
{
    public static string Render(string title, IReadOnlyList<string> treatments, IReadOnlyList<double> averageRanks, double criticalDifference)
    {
        var k = treatments.Count;
        var labelRoom = 24 + 7 * treatments.Select(t => t.Length + 7).DefaultIfEmpty(10).Max();
        var svg = new Svg(2 * labelRoom + 360, 150 + 22 * k, title);
        var plot = new PlotArea(svg, labelRoom, 90, labelRoom, 10);
        plot.Title(title);
        var axisY = plot.Top;
        var top = Math.Max(2, k);
        var x = plot.X(1, top);
        svg.Line(plot.Left, axisY, plot.Right, axisY, "#222", 1.5);
        for (var r = 1; r <= top; r++)
        {
            svg.Line(x.Map(r), axisY - 5, x.Map(r), axisY, "#222");
            svg.Text(x.Map(r), axisY - 9, r.ToString(CultureInfo.InvariantCulture), 11, "middle");
        }
        svg.Text(plot.Right, axisY - 24, "average rank (higher = better)", 11, "end");

        // A CD longer than the axis means no two treatments can differ: the bar stops at the axis end and says so.
        var clipped = 1 + criticalDifference > top;
        svg.Line(x.Map(1), 48, x.Map(Math.Min(top, 1 + criticalDifference)), 48, "#d62728", 2.5);
        svg.Text(x.Map(1), 42, $"CD = {criticalDifference:0.###}" + (clipped ? " (longer than the rank axis)" : ""), 11, fill: "#d62728");

        var order = Enumerable.Range(0, k).OrderBy(i => averageRanks[i]).ToArray();
        for (var j = 0; j < k; j++)
        {
            var i = order[j];
            var px = x.Map(averageRanks[i]);
            var py = axisY + 40 + 22 * j;
            svg.Line(px, axisY, px, py, "#555");
            var left = j < (k + 1) / 2;
            var end = left ? plot.Left - 10 : plot.Right + 10;
            svg.Line(px, py, end, py, "#555");
            svg.Text(left ? end - 4 : end + 4, py + 4, $"{treatments[i]} ({averageRanks[i]:0.##})", 11, left ? "end" : "start");
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
                var cy = axisY + 12 + 7 * cliqueRow++;
                svg.Line(x.Map(averageRanks[order[a]]) - 3, cy, x.Map(averageRanks[order[b]]) + 3, cy, "#111", 4);
                lastEnd = b;
            }
        }
        return svg.ToString();
    }
}
