using System.Globalization;

namespace Orchestrator.Reporting.Figures;

/// <summary>Maps data values onto a pixel range linearly.</summary>
public sealed record LinearScale(double DomainMin, double DomainMax, double RangeMin, double RangeMax)
{
    public double Map(double value) =>
        DomainMax == DomainMin ? (RangeMin + RangeMax) / 2 : RangeMin + (value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin);

    /// <summary>Round tick values (1, 2 or 5 times a power of ten apart) covering the domain, about <paramref name="count"/> of them.</summary>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        var span = DomainMax - DomainMin;
        if (!(span > 0)) return [DomainMin];
        var raw = span / Math.Max(1, count);
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var normalized = raw / power;
        var step = power * (normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10);
        var ticks = new List<double>();
        for (var t = Math.Ceiling(DomainMin / step - 1e-9) * step; t <= DomainMax + step * 1e-9; t += step)
            ticks.Add(Math.Round(t, 12) + 0.0); // + 0.0 turns -0 into 0, which would print as "-0"
        return ticks;
    }
}

/// <summary>The plot area of a chart inside its margins, with axes, grid, labels and legend drawing.</summary>
public sealed class PlotArea(Svg svg, double left, double top, double right, double bottom)
{
    public static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

    public double Left { get; } = left;
    public double Top { get; } = top;
    public double Right { get; } = svg.Width - right;
    public double Bottom { get; } = svg.Height - bottom;

    public LinearScale X(double min, double max) => new(min, max, Left, Right);
    public LinearScale Y(double min, double max) => new(min, max, Bottom, Top);

    public void Title(string text) => svg.Text(svg.Width / 2, 22, text, 15, "middle", bold: true);

    public void YAxis(LinearScale y, string label, Func<double, string>? format = null)
    {
        format ??= Default;
        foreach (var t in y.Ticks())
        {
            var py = y.Map(t);
            svg.Line(Left, py, Right, py, "#e5e5e5");
            svg.Line(Left - 4, py, Left, py, "#444");
            svg.Text(Left - 7, py + 4, format(t), 11, "end");
        }
        svg.Line(Left, Top, Left, Bottom, "#444");
        svg.Text(16, (Top + Bottom) / 2, label, 12, "middle", rotate: -90);
    }

    public void XAxis(LinearScale x, string label, Func<double, string>? format = null)
    {
        format ??= Default;
        foreach (var t in x.Ticks())
        {
            var px = x.Map(t);
            svg.Line(px, Bottom, px, Bottom + 4, "#444");
            svg.Text(px, Bottom + 17, format(t), 11, "middle");
        }
        XLine();
        svg.Text((Left + Right) / 2, Bottom + 36, label, 12, "middle");
    }

    public void XLine() => svg.Line(Left, Bottom, Right, Bottom, "#444");

    /// <summary>Legend entries in one row under the title, each a colour swatch and its name.</summary>
    public void Legend(IReadOnlyList<(string Name, string Color)> items, double y = 40)
    {
        var x = Left;
        foreach (var (name, color) in items)
        {
            svg.Rect(x, y - 10, 12, 12, color);
            svg.Text(x + 17, y, name, 12);
            x += 30 + name.Length * 7;
        }
    }

    public static string Default(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
