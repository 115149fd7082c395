using System.Text.Json;
using System.Text.RegularExpressions;
using Orchestrator.Reporting.Rendering;
using Orchestrator.Reporting.Reports;
using Orchestrator.Reporting.Tables;
using SkiaSharp;

namespace Orchestrator.Reporting.Tests.Reports;

public class ReportFilesTests
{
    private static readonly SweepReport Report = SweepReportBuilder.Build(SweepReportBuilderTests.Sweep());

    private static async Task<string> WriteAsync(bool png = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), "orch-report-" + Guid.NewGuid().ToString("N")[..8]);
        var files = await ReportFiles.WriteAsync(Report, dir, png);
        files.Should().HaveCount(4 + Report.Figures.Count * (png ? 2 : 1)).And.OnlyContain(f => File.Exists(f));
        return dir;
    }

    [Fact]
    public async Task Results_csv_has_one_row_per_trial_with_its_id_state_and_metrics()
    {
        var csv = CsvTable.Parse(await File.ReadAllTextAsync(Path.Combine(await WriteAsync(), "results.csv")));
        csv.Rows.Should().HaveCount(14);
        var id = csv.IndexOf("trial_id");
        csv.Rows.Select(r => r.Fields[id]).Should().BeEquivalentTo(Report.Completed.Select(t => t.TrialId).Concat(Report.Incomplete.Select(t => t.TrialId)));
        var row = csv.Rows.Single(r => r.Fields[id] == "t-a-n2-1").Fields;
        row[csv.IndexOf("accuracy")].Should().Be("0.75");
        row[csv.IndexOf("row")].Should().Be("chosen");
        row[csv.IndexOf("precision_Normal")].Should().NotBeEmpty();
        row[csv.IndexOf("ece")].Should().NotBeEmpty();
        var failed = csv.Rows.Single(r => r.Fields[id] == "t-b-dyn-2").Fields;
        failed[csv.IndexOf("state")].Should().Be("failed");
        failed[csv.IndexOf("accuracy")].Should().BeEmpty();
        failed[csv.IndexOf("reason")].Should().Be("engine error: out of memory");
    }

    [Fact]
    public async Task Results_json_holds_trials_rows_and_tests()
    {
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(await WriteAsync(), "results.json")));
        var root = json.RootElement;
        root.GetProperty("sweepId").GetString().Should().Be("sw-test");
        root.GetProperty("completed").GetArrayLength().Should().Be(10);
        root.GetProperty("incomplete").EnumerateArray().Select(t => t.GetProperty("state").GetString()).Should().Equal("failed", "running", "pending", "failed");
        root.GetProperty("rows")[0].GetProperty("trialIds").EnumerateArray().Select(e => e.GetString()).Should().Equal("t-a-dyn-1", "t-a-dyn-2");
        root.GetProperty("paired")[0].GetProperty("tTest").GetProperty("result").GetProperty("t").GetDouble().Should().BeApproximately(5, 1e-9);
        root.GetProperty("paired")[0].GetProperty("leftOut").GetArrayLength().Should().Be(1);
    }

    [Fact]
    public async Task Results_json_spells_the_spec_choices_as_specs_do()
    {
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(await WriteAsync(), "results.json")));
        var root = json.RootElement;
        root.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("strategy").GetString()).Distinct().Should().Equal("dynamic", "fixed-top-n");
        root.GetProperty("paired")[0].GetProperty("second").GetString().Should().Be("fixed-top-n");
        var spec = root.GetProperty("completed")[0].GetProperty("spec");
        spec.GetProperty("strategy").GetString().Should().Be("dynamic");
        spec.GetProperty("stopPolicy").GetString().Should().Be("plateau-after-full-unfreeze");
        spec.GetProperty("optimizer").GetString().Should().Be("adam");
        spec.GetProperty("classBalance").GetString().Should().Be("sampler");
        spec.GetProperty("normalization").GetString().Should().Be("backbone");
    }

    [Fact]
    public async Task Report_html_is_self_contained_with_every_figure_inline()
    {
        var dir = await WriteAsync();
        var html = await File.ReadAllTextAsync(Path.Combine(dir, "report.html"));
        html.Should().NotContainAny("<script", "<link", "src=", "href=", "@import", "<image");
        // The only url() references are the figures' own clip paths, each to an id on the page, and no id is used twice.
        var ids = Regex.Matches(html, " id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToArray();
        ids.Should().OnlyHaveUniqueItems();
        Regex.Matches(html, @"url\(([^)]*)\)").Select(m => m.Groups[1].Value).Should().NotBeEmpty()
            .And.OnlyContain(r => r.StartsWith('#') && ids.Contains(r.Substring(1)));
        Regex.Matches(html, "<svg ").Count.Should().Be(Report.Figures.Count);
        Regex.Matches(html, "<svg [^>]*viewBox=\"0 0 [0-9.]+ [0-9.]+\"").Count.Should().Be(Report.Figures.Count);
        html.Should().Contain("Trials without a result").And.Contain("engine error: out of memory").And.Contain("t-b-n2-1");
        html.Should().Contain("paired t-test: mean difference 0.3125");
        Directory.GetFiles(Path.Combine(dir, "figures"), "*.svg").Should().HaveCount(Report.Figures.Count);
        Directory.GetFiles(Path.Combine(dir, "figures"), "*.png").Should().BeEmpty("PNGs are written on request only");
    }

    [Fact]
    public async Task On_request_each_figure_is_also_a_png_of_its_size_beside_its_svg()
    {
        var dir = await WriteAsync(png: true);
        foreach (var f in Report.Figures)
        {
            var path = Path.Combine(dir, "figures", f.PngFileName);
            File.Exists(Path.ChangeExtension(path, ".svg")).Should().BeTrue(f.FileName);
            using var bitmap = SKBitmap.Decode(path);
            bitmap.Should().NotBeNull(path);
            (bitmap.Width, bitmap.Height).Should().Be((f.Chart.Width, f.Chart.Height), f.FileName);
            Pixels.AssertDrawn(bitmap, f.PngFileName);
        }
    }

    [Fact]
    public async Task Report_md_links_its_figures_and_says_what_did_not_run()
    {
        var dir = await WriteAsync();
        var md = await File.ReadAllTextAsync(Path.Combine(dir, "report.md"));
        foreach (var f in Report.Figures) md.Should().Contain($"](figures/{f.FileName})");
        md.Should().Contain("| t-b-n1-2 | densenet121 | fixed-top-n n=1 | 2 | running | 2 |");
        md.Should().Contain("left out (1 backbone(s)): vgg16 (no completed fixed-top-n trial)");
        md.Should().Contain("whether the data are synthetic is unknown");
        md.Should().Contain("15 equal-width confidence bins");
    }

    [Fact]
    public async Task Writing_again_replaces_figures_of_an_earlier_report()
    {
        var dir = await WriteAsync();
        await File.WriteAllTextAsync(Path.Combine(dir, "figures", "stale.svg"), "<svg/>");
        await File.WriteAllBytesAsync(Path.Combine(dir, "figures", "stale.png"), [137, 80, 78, 71]);
        await ReportFiles.WriteAsync(Report, dir);
        File.Exists(Path.Combine(dir, "figures", "stale.svg")).Should().BeFalse();
        File.Exists(Path.Combine(dir, "figures", "stale.png")).Should().BeFalse();
    }

    [Fact]
    public void A_synthetic_sweep_says_so_in_its_title()
    {
        var report = SweepReportBuilder.Build(SweepReportBuilderTests.Sweep() with { Synthetic = true });
        var document = ReportLayout.Build(report);
        document.Title.Should().Contain("SYNTHETIC");
        MarkdownRenderer.Render(document).Should().Contain("SYNTHETIC: its manifest marks it");
    }
}
