using System.Globalization;
using System.Security;
using System.Text;

namespace Orchestrator.Reporting.Figures;

/// <summary>A minimal SVG writer: shapes and text appended in drawing order, on a white background.</summary>
public sealed class Svg(double width, double height, string title)
{
    public const string FontFamily = "DejaVu Sans, Liberation Sans, Arial, sans-serif";
    private readonly StringBuilder _body = new();

    public double Width { get; } = width;
    public double Height { get; } = height;

    public Svg Rect(double x, double y, double w, double h, string fill, string? stroke = null, string? tooltip = null)
    {
        _body.Append($"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, w))}\" height=\"{N(Math.Max(0, h))}\" fill=\"{fill}\"");
        if (stroke is not null) _body.Append($" stroke=\"{stroke}\"");
        return Close("rect", tooltip);
    }

    public Svg Line(double x1, double y1, double x2, double y2, string stroke, double strokeWidth = 1, string? dash = null)
    {
        _body.Append($"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(strokeWidth)}\"");
        if (dash is not null) _body.Append($" stroke-dasharray=\"{dash}\"");
        _body.Append("/>\n");
        return this;
    }

    public Svg Polyline(IEnumerable<(double X, double Y)> points, string stroke, double strokeWidth = 2, string? dash = null)
    {
        _body.Append($"<polyline fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(strokeWidth)}\" points=\"");
        _body.AppendJoin(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"));
        _body.Append('"');
        if (dash is not null) _body.Append($" stroke-dasharray=\"{dash}\"");
        _body.Append("/>\n");
        return this;
    }

    public Svg Circle(double cx, double cy, double r, string fill, string? tooltip = null)
    {
        _body.Append($"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\"");
        return Close("circle", tooltip);
    }

    /// <summary>Text at (x, y) (the baseline); <paramref name="anchor"/> start, middle or end; <paramref name="rotate"/> in degrees about (x, y).</summary>
    public Svg Text(double x, double y, string text, double size = 12, string anchor = "start", bool bold = false, double rotate = 0, string fill = "#222")
    {
        _body.Append($"<text x=\"{N(x)}\" y=\"{N(y)}\" font-size=\"{N(size)}\" text-anchor=\"{anchor}\" fill=\"{fill}\"");
        if (bold) _body.Append(" font-weight=\"bold\"");
        if (rotate != 0) _body.Append($" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"");
        _body.Append('>').Append(Escape(text)).Append("</text>\n");
        return this;
    }

    public override string ToString() =>
        $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(Width)}\" height=\"{N(Height)}\" viewBox=\"0 0 {N(Width)} {N(Height)}\" " +
        $"font-family=\"{FontFamily}\" role=\"img\" aria-label=\"{Escape(title)}\">\n<title>{Escape(title)}</title>\n" +
        $"<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{_body}</svg>\n";

    public static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Escape(string text) => SecurityElement.Escape(text) ?? "";

    private Svg Close(string element, string? tooltip)
    {
        if (tooltip is null) _body.Append("/>\n");
        else _body.Append("><title>").Append(Escape(tooltip)).Append("</title></").Append(element).Append(">\n");
        return this;
    }
}
