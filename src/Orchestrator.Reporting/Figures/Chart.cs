using System.Globalization;
using ScottPlot;

namespace Orchestrator.Reporting.Figures;

/// <summary>
/// A report figure: a ScottPlot plot drawn at a fixed pixel size, exported as an SVG that can be inlined in a page
/// (<see cref="ChartSvg"/>) or as a PNG of the same size.
/// </summary>
public sealed class Chart
{
    /// <summary>The font the plot is measured and drawn with (Debian's fonts-dejavu-core, as the browser tests use).</summary>
    public const string FontName = "DejaVu Sans";

    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    public Chart(int width, int height, string title)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        Width = width;
        Height = height;
        Title = title;
        Plot.Title(title, 16);
    }

    public Plot Plot { get; } = new();
    public int Width { get; }
    public int Height { get; }
    public string Title { get; }

    public static Color SeriesColor(int index) => Palette[index % Palette.Length];

    // Skia's SVG canvas drops dash patterns (and says so on stderr), so figures tell lines apart by colour, width,
    // opacity and markers instead: a line is solid or it is this, a faint one.
    public static Color Faint(Color color) => color.WithAlpha(0.5);

    /// <summary>A text at data coordinates, aligned to that point by <paramref name="alignment"/> and moved by a pixel offset.</summary>
    public ScottPlot.Plottables.Text Label(double x, double y, string text, Alignment alignment, float size = 11, Color? color = null,
        float offsetX = 0, float offsetY = 0)
    {
        var label = Plot.Add.Text(text, x, y);
        label.LabelFontName = FontName;
        label.LabelFontSize = size;
        label.LabelFontColor = color ?? Colors.Black;
        label.LabelAlignment = alignment;
        label.OffsetX = offsetX;
        label.OffsetY = offsetY;
        return label;
    }

    /// <summary>Ticks at the given positions named by the given labels (categories, class names).</summary>
    public static void NamedTicks(IAxis axis, IReadOnlyList<double> positions, IReadOnlyList<string> labels) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. positions], [.. labels]);

    /// <summary>Ticks at 0, 0.2, ..., 1 for an axis of a score or probability.</summary>
    public static void UnitTicks(IAxis axis) =>
        NamedTicks(axis, [0, 0.2, 0.4, 0.6, 0.8, 1], [.. new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 }.Select(Number)]);

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The figure as a standalone SVG document whose ids start with <paramref name="id"/>, so several can share one page.</summary>
    public string ToSvg(string id)
    {
        Plot.Font.Set(FontName);
        return ChartSvg.Finish(Plot.GetSvgXml(Width, Height), id, Title);
    }

    public byte[] ToPng()
    {
        Plot.Font.Set(FontName);
        return Plot.GetImageBytes(Width, Height, ImageFormat.Png);
    }
}
