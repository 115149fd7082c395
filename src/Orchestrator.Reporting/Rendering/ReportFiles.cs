using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Rendering;

/// <summary>Writes a report's files into a folder: report.md, report.html, results.csv, results.json, figures/*.svg, and
/// on request figures/*.png beside them.</summary>
public static class ReportFiles
{
    public const string FiguresFolder = "figures";

    /// <returns>The paths written, report.html first, then the four other report files, then the figures.</returns>
    public static async Task<IReadOnlyList<string>> WriteAsync(SweepReport report, string directory, bool png = false, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var figures = Path.Combine(directory, FiguresFolder);
        Directory.CreateDirectory(figures);
        // A report written again replaces the old one: no figure of an earlier state may linger.
        foreach (var old in Directory.EnumerateFiles(figures, "*.svg").Concat(Directory.EnumerateFiles(figures, "*.png"))) File.Delete(old);
        var document = ReportLayout.Build(report);
        var files = new List<(string Path, string Text)>
        {
            (Path.Combine(directory, "report.html"), HtmlRenderer.Render(document)),
            (Path.Combine(directory, "report.md"), MarkdownRenderer.Render(document)),
            (Path.Combine(directory, "results.csv"), CsvResults.Render(report)),
            (Path.Combine(directory, "results.json"), JsonResults.Render(report)),
        };
        files.AddRange(report.Figures.Select(f => (Path.Combine(figures, f.FileName), f.Svg)));
        foreach (var (path, text) in files)
            await File.WriteAllTextAsync(path, text, ct).ConfigureAwait(false);
        var written = files.Select(f => f.Path).ToList();
        if (!png) return written;
        foreach (var f in report.Figures)
        {
            var path = Path.Combine(figures, f.PngFileName);
            await File.WriteAllBytesAsync(path, f.Chart.ToPng(), ct).ConfigureAwait(false);
            written.Add(path);
        }
        return written;
    }
}
