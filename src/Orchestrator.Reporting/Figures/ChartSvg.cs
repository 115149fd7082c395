using System.Globalization;
using System.Xml.Linq;

namespace Orchestrator.Reporting.Figures;

/// <summary>
/// Turns the SVG that ScottPlot (through Skia's SVG canvas) writes into one fit for inlining in report.html: a viewBox
/// so CSS can scale it, a title for screen readers, ids made unique per figure (Skia numbers its clip paths from 1 in
/// every document, and inline SVGs share one id space), and a font list a browser can fall back along.
/// </summary>
public static class ChartSvg
{
    public const string FontFamily = "DejaVu Sans, Liberation Sans, Arial, sans-serif";

    public static string Finish(string svg, string id, string title)
    {
        var root = XDocument.Parse(svg).Root ?? throw new InvalidDataException("the plot's SVG has no root element");
        var ns = root.Name.Namespace;
        var width = Attribute(root, "width");
        var height = Attribute(root, "height");
        root.SetAttributeValue("viewBox", $"0 0 {width} {height}");
        root.SetAttributeValue("font-family", FontFamily);
        root.SetAttributeValue("role", "img");
        root.SetAttributeValue("aria-label", title);
        root.AddFirst(new XElement(ns + "title", title));

        foreach (var element in root.Descendants().ToArray())
        {
            if (element.Attribute("id") is { } ownId) ownId.Value = $"{id}-{ownId.Value}";
            foreach (var attribute in element.Attributes().Where(a => a.Value.Contains("url(#", StringComparison.Ordinal)))
                attribute.Value = attribute.Value.Replace("url(#", $"url(#{id}-", StringComparison.Ordinal);
            if (element.Name.LocalName != "text") continue;
            element.Attribute("font-family")?.Remove();
            element.Value = element.Value.Trim();
            // Skia ends its per-glyph position lists with a separator ("1, 2, "), which not every reader accepts.
            foreach (var axis in new[] { "x", "y" })
                if (element.Attribute(axis) is { } positions) positions.Value = positions.Value.TrimEnd(' ', ',');
        }
        return root + "\n";
    }

    private static string Attribute(XElement root, string name) =>
        double.TryParse(root.Attribute(name)?.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value.ToString(CultureInfo.InvariantCulture)
            : throw new InvalidDataException($"the plot's SVG has no numeric {name}");
}
