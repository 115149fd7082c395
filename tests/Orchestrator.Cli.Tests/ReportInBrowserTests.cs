using Microsoft.Playwright;

namespace Orchestrator.Cli.Tests;

/// <summary>A test that needs Debian's chromium (`scripts/install.sh --test`); skipped, loudly, where it is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Browser = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Browser))
            Skip = $"SKIPPED: {Browser} is missing, so report.html was NOT checked in a browser; run scripts/install.sh --test to install Debian's chromium";
    }
}

/// <summary>report.html opened offline in headless chromium: every figure is drawn, nothing is fetched, and the figures
/// keep their drawn size on a wide screen and shrink, in proportion, to a phone's width.</summary>
[Collection(ReportedSweepCollection.Name)]
public class ReportInBrowserTests(ReportedSweep sweep)
{
    private const int FigureCount = 6;

    [ChromiumFact]
    public async Task Every_figure_of_report_html_renders_visibly_in_headless_chromium_on_a_wide_screen_and_a_phone()
    {
        sweep.Report.ExitCode.Should().Be(0, sweep.Report.Stderr);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.Browser,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        var shots = Path.Combine(sweep.ReportDir, "screenshots");
        Directory.CreateDirectory(shots);
        foreach (var width in new[] { 1400, 390 })
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
            var requests = new List<string>();
            page.Request += (_, r) => requests.Add(r.Url);
            var html = new Uri(Path.Combine(sweep.ReportDir, "report.html")).AbsoluteUri;
            await page.GotoAsync(html, new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            requests.Should().Equal([html], "a self-contained report fetches nothing but itself");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, $"report-{width}.png"), FullPage = true });

            var figures = await page.QuerySelectorAllAsync("figure.figure");
            figures.Should().HaveCount(FigureCount);
            foreach (var figure in figures)
            {
                var id = $"{await figure.GetAttributeAsync("id")} at {width} px";
                var svg = (await figure.QuerySelectorAsync("svg"))!;
                var drawnWidth = double.Parse((await svg.GetAttributeAsync("width"))!, System.Globalization.CultureInfo.InvariantCulture);
                var drawnHeight = double.Parse((await svg.GetAttributeAsync("height"))!, System.Globalization.CultureInfo.InvariantCulture);
                var box = await svg.BoundingBoxAsync();
                box.Should().NotBeNull(id);
                double left = box!.X, shownWidth = box.Width, shownHeight = box.Height;
                left.Should().BeGreaterThanOrEqualTo(0, id);
                (left + shownWidth).Should().BeLessThanOrEqualTo(width, $"{id} must fit the page's width");
                shownHeight.Should().BeApproximately(shownWidth * drawnHeight / drawnWidth, 3, $"{id} must scale in proportion");
                if (drawnWidth < width - 100) shownWidth.Should().BeApproximately(drawnWidth, 1, $"{id} has room for its drawn size");
                else shownWidth.Should().BeGreaterThan(width * 0.8, $"{id} shrinks to the page's width, no further");

                var png = Png.Decode(await svg.ScreenshotAsync(new ElementHandleScreenshotOptions { Path = Path.Combine(shots, $"{id.Replace(' ', '-')}.png") }));
                png.Width.Should().BeGreaterThan(Math.Min(300, width / 2), id);
                png.ShouldBeDrawn(id);
            }
            await page.CloseAsync();
        }
    }
}
