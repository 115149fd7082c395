using System.Text.RegularExpressions;
using System.Xml.Linq;
using Orchestrator.Reporting.Figures;
using Alignment = ScottPlot.Alignment;
using SkiaSharp;

namespace Orchestrator.Reporting.Tests.Reports;

public class SvgTests
{
    private static Chart Bars() => BarChart.Render("Accuracy", "backbone", "accuracy", ["b1", "b2"],
        [new BarSeries("dynamic", [0.9, 0.6], [0.05, null]), new BarSeries("traditional", [0.7, null], [null, null])]);

    [Fact]
    public void A_chart_is_well_formed_scalable_svg_with_its_title_and_escaped_text()
    {
        var chart = new Chart(300, 200, "a < b & \"c\"");
        chart.Label(0.5, 0.5, "x < y & z", Alignment.MiddleCenter);
        var root = XDocument.Parse(chart.ToSvg("f")).Root!;
        root.Attribute("viewBox")!.Value.Should().Be("0 0 300 200");
        root.Attribute("width")!.Value.Should().Be("300");
        root.Elements().First().Name.LocalName.Should().Be("title");
        root.Elements().First().Value.Should().Be("a < b & \"c\"");
        SvgText.Texts(root).Should().Contain("x < y & z").And.Contain("a < b & \"c\"");
        root.Attribute("font-family")!.Value.Should().Be(ChartSvg.FontFamily);
        SvgText.Elements(root, "text").Should().OnlyContain(t => t.Attribute("font-family") == null && !t.Attribute("x")!.Value.EndsWith(','));
    }

    [Fact]
    public void Ids_and_their_references_start_with_the_figures_name_so_figures_can_share_a_page()
    {
        var first = XDocument.Parse(Bars().ToSvg("first")).Root!;
        var second = XDocument.Parse(Bars().ToSvg("second")).Root!;
        var ids = SvgText.Ids(first);
        ids.Should().NotBeEmpty().And.OnlyContain(id => id.StartsWith("first-"));
        SvgText.Ids(second).Should().OnlyContain(id => id.StartsWith("second-"));
        var references = Regex.Matches(first.ToString(), @"url\(#([^)]+)\)").Select(m => m.Groups[1].Value).ToArray();
        references.Should().NotBeEmpty().And.OnlyContain(r => ids.Contains(r));
    }

    [Fact]
    public void A_bar_chart_labels_every_bar_with_its_value_and_error_and_marks_a_missing_one()
    {
        var root = XDocument.Parse(Bars().ToSvg("bars")).Root!;
        SvgText.Texts(root).Should().Contain(["Accuracy", "backbone", "accuracy", "b1", "b2", "dynamic", "traditional", "n/a"]);
        SvgText.Texts(root).Where(t => Regex.IsMatch(t, @"^\d\.\d{3}$")).Should().BeEquivalentTo("0.900", "0.600", "0.700");
        SvgText.Texts(root).Where(t => t.StartsWith('±')).Should().Equal("± 0.050");
        // Two bars of the first colour, one of the second, and a legend swatch each.
        SvgText.FilledWith(root, "#1F77B4").Should().Be(3);
        SvgText.FilledWith(root, "#FF7F0E").Should().Be(2);
    }

    [Fact]
    public void A_chart_as_png_has_its_size_and_is_drawn()
    {
        var chart = Bars();
        using var bitmap = SKBitmap.Decode(chart.ToPng());
        bitmap.Should().NotBeNull();
        bitmap.Width.Should().Be(chart.Width);
        bitmap.Height.Should().Be(chart.Height);
        Pixels.AssertDrawn(bitmap, "the bar chart");
    }
}
