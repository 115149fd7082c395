using System.Xml.Linq;
using Orchestrator.Reporting.Figures;

namespace Orchestrator.Reporting.Tests.Reports;

public class SvgTests
{
    [Fact]
    public void Text_is_escaped_and_the_document_is_well_formed()
    {
        var svg = new Svg(100, 50, "a < b & \"c\"").Text(1, 2, "x < y & z").Rect(0, 0, 10, 10, "#fff", tooltip: "<t>").ToString();
        var root = XDocument.Parse(svg).Root!;
        root.Attribute("viewBox")!.Value.Should().Be("0 0 100 50");
        root.Descendants().Single(e => e.Name.LocalName == "text").Value.Should().Be("x < y & z");
        root.Elements().First(e => e.Name.LocalName == "title").Value.Should().Be("a < b & \"c\"");
    }

    [Theory]
    [InlineData(0, 1, 5, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [InlineData(1.93, 2.31, 5, new[] { 2, 2.1, 2.2, 2.3 })]
    [InlineData(1, 12, 5, new[] { 2.0, 4, 6, 8, 10, 12 })]
    public void Ticks_are_round_numbers_inside_the_domain(double min, double max, int count, double[] expected)
    {
        var ticks = new LinearScale(min, max, 0, 100).Ticks(count);
        ticks.Should().Equal(expected);
        ticks.Select(PlotArea.Default).Should().NotContain(t => t.StartsWith('-'));
    }

    [Fact]
    public void A_scale_maps_its_domain_onto_its_range_inverted_for_y()
    {
        var y = new LinearScale(0, 1, 300, 50);
        y.Map(0).Should().Be(300);
        y.Map(1).Should().Be(50);
        y.Map(0.5).Should().Be(175);
    }
}
