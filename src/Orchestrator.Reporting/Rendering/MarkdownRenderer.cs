using System.Text;

namespace Orchestrator.Reporting.Rendering;

/// <summary>report.md: GitHub-flavoured Markdown; figures are linked from <see cref="ReportFiles.FiguresFolder"/>.</summary>
public static class MarkdownRenderer
{
    public static string Render(ReportDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var md = new StringBuilder();
        md.Append("# ").AppendLine(document.Title).AppendLine();
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    md.Append('#', h.Level).Append(' ').AppendLine(h.Text);
                    break;
                case Paragraph p:
                    md.AppendLine(p.Text);
                    break;
                case BulletList l:
                    foreach (var item in l.Items) md.Append("- ").AppendLine(item);
                    break;
                case TableBlock t:
                    md.AppendLine(Line(t.Header));
                    md.AppendLine(Line(t.Header.Select(_ => "---").ToArray()));
                    foreach (var row in t.Rows) md.AppendLine(Line(row));
                    break;
                case FigureBlock f:
                    md.AppendLine($"![{f.Figure.Title}]({ReportFiles.FiguresFolder}/{f.Figure.FileName})").AppendLine();
                    md.Append('*').Append(f.Figure.Title).Append(".* ").AppendLine(f.Figure.Caption);
                    break;
                default:
                    throw new ArgumentException($"unknown block {block.GetType().Name}", nameof(document));
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    private static string Line(IEnumerable<string> cells) => "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))) + " |";
}
