using System.Net;
using System.Text;

namespace Orchestrator.Reporting.Rendering;

/// <summary>report.html: one self-contained page (styles and SVG figures inline, no external resource), readable offline.</summary>
public static class HtmlRenderer
{
    private const string Style = """
        body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
        h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
        table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; display: block; overflow-x: auto; }
        th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; } tr:nth-child(even) td { background: #fafafa; }
        .figures { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 2em; }
        figure { margin: 1.5em 0; max-width: 100%; } figcaption { font-size: 0.9em; color: #444; }
        figure svg { display: block; max-width: 100%; height: auto; border: 1px solid #eee; box-sizing: border-box; }
        """;

    public static string Render(ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<title>").Append(E(document.Title)).AppendLine("</title>");
        html.Append("<style>").Append(Style).AppendLine("</style></head><body>");
        html.Append("<h1>").Append(E(document.Title)).AppendLine("</h1>");
        var inFigures = false;
        foreach (var block in document.Blocks)
        {
            // Figures side by side where the page is wide enough, one under another where it is not.
            if ((block is FigureBlock) != inFigures)
            {
                inFigures = !inFigures;
                html.AppendLine(inFigures ? "<div class=\"figures\">" : "</div>");
            }
            switch (block)
            {
                case Heading h:
                    html.Append($"<h{h.Level}>").Append(E(h.Text)).AppendLine($"</h{h.Level}>");
                    break;
                case Paragraph p:
                    html.Append("<p>").Append(E(p.Text)).AppendLine("</p>");
                    break;
                case BulletList l:
                    html.Append("<ul>");
                    foreach (var item in l.Items) html.Append("<li>").Append(E(item)).Append("</li>");
                    html.AppendLine("</ul>");
                    break;
                case TableBlock t:
                    html.Append("<table><thead><tr>");
                    foreach (var c in t.Header) html.Append("<th>").Append(E(c)).Append("</th>");
                    html.AppendLine("</tr></thead><tbody>");
                    foreach (var row in t.Rows)
                    {
                        html.Append("<tr>");
                        foreach (var c in row) html.Append("<td>").Append(E(c)).Append("</td>");
                        html.AppendLine("</tr>");
                    }
                    html.AppendLine("</tbody></table>");
                    break;
                case FigureBlock f:
                    var id = Path.GetFileNameWithoutExtension(f.Figure.FileName);
                    // The figure is as wide as its chart, so the caption wraps under it; max-width lets both shrink on a phone.
                    html.Append($"<figure id=\"fig-{E(id)}\" class=\"figure\" style=\"width: {f.Figure.Chart.Width}px\">\n").Append(f.Figure.Svg);
                    html.Append("<figcaption><strong>").Append(E(f.Figure.Title)).Append(".</strong> ").Append(E(f.Figure.Caption)).AppendLine("</figcaption></figure>");
                    break;
                default:
                    throw new ArgumentException($"unknown block {block.GetType().Name}", nameof(document));
            }
        }
        if (inFigures) html.AppendLine("</div>");
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
