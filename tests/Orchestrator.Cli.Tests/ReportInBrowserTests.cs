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

/// <summary>report.html opened offline in headless chromium: every figure is drawn, nothing is fetched.</summary>
[Collection(ReportedSweepCollection.Name)]
public class ReportInBrowserTests(ReportedSweep sweep)
{
    [ChromiumFact]
    public async Task Every_figure_of_report_html_renders_visibly_in_headless_chromium()
    {
        sweep.Report.ExitCode.Should().Be(0, sweep.Report.Stderr);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumFactAttribute.Browser,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        var html = new Uri(Path.Combine(sweep.ReportDir, "report.html")).AbsoluteUri;
        await page.GotoAsync(html, new PageGotoOptions { WaitUntil = WaitUntilState.Load });

        requests.Should().Equal([html], "a self-contained report fetches nothing but itself");
        var figures = await page.QuerySelectorAllAsync("figure.figure");
        figures.Should().HaveCount(6);
        var shots = Path.Combine(sweep.ReportDir, "screenshots");
        Directory.CreateDirectory(shots);
        foreach (var figure in figures)
        {
            var id = await figure.GetAttributeAsync("id");
            var svg = await figure.QuerySelectorAsync("svg");
            var box = await svg!.BoundingBoxAsync();
            box.Should().NotBeNull(id);
            box!.Width.Should().BeGreaterThan(300, id);
            box.Height.Should().BeGreaterThan(200, id);

            var png = Png.Decode(await svg.ScreenshotAsync(new ElementHandleScreenshotOptions { Path = Path.Combine(shots, $"{id}.png") }));
            png.Width.Should().BeGreaterThan(300, id);
            var drawn = png.CountDifferentFrom((255, 255, 255));
            // Axes, bars, cells and text cover far more than 2% of a figure; a blank or broken SVG covers ~0.
            drawn.Should().BeGreaterThan(png.Width * png.Height / 50, $"{id} must not be blank ({drawn} of {png.Width * png.Height} pixels drawn)");
        }
    }
}
