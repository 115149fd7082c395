using System.Xml.Linq;

namespace Orchestrator.Reporting.Tests.Reports;

/// <summary>What a test can read back from a figure's SVG: its texts, ids and filled shapes.</summary>
public static class SvgText
{
    public static XElement Parse(string svg) => XDocument.Parse(svg).Root!;

    public static IEnumerable<XElement> Elements(XElement root, string name) => root.Descendants().Where(e => e.Name.LocalName == name);

    public static IReadOnlyList<string> Texts(XElement root) => [.. Elements(root, "text").Select(e => e.Value.Trim())];

    public static IReadOnlyList<string> Texts(string svg) => Texts(Parse(svg));

    public static HashSet<string> Ids(XElement root) =>
        [.. root.DescendantsAndSelf().Select(e => e.Attribute("id")?.Value).OfType<string>()];

    /// <summary>Rectangles filled with <paramref name="color"/> (bars, cells, legend swatches).</summary>
    public static int FilledWith(XElement root, string color) =>
        Elements(root, "rect").Count(r => string.Equals(r.Attribute("fill")?.Value, color, StringComparison.OrdinalIgnoreCase));
}
