using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Orchestrator.Cli.Tests;

/// <summary>`sweep report` on a real sweep, and the report written at the end of `sweep run`.</summary>
[Collection(ReportedSweepCollection.Name)]
public class SweepReportTests(ReportedSweep sweep)
{
    [Fact]
    public void Sweep_run_writes_the_report_when_the_sweep_has_ended_and_prints_its_path()
    {
        sweep.Run.ExitCode.Should().Be(0, sweep.Run.Stderr + sweep.Run.Stdout);
        var line = sweep.Run.Stdout.Split('\n').Single(l => l.StartsWith("report: ", StringComparison.Ordinal));
        var path = line["report: ".Length..].Trim();
        path.Should().EndWith("report.html").And.Contain(Path.Combine(".orchestrator", "artifacts", "reports", "sw-"));
        File.Exists(path).Should().BeTrue();
    }

    [Fact]
    public async Task Sweep_report_writes_every_file_naming_every_trial()
    {
        sweep.Report.ExitCode.Should().Be(0, sweep.Report.Stderr);
        using var json = JsonDocument.Parse(sweep.Report.Stdout);
        json.RootElement.GetProperty("completed").GetInt32().Should().Be(3);
        json.RootElement.GetProperty("incomplete").GetArrayLength().Should().Be(0);
        var ids = (await Cli.RunAsync(sweep.Dir, TimeSpan.FromMinutes(1), "sweep", "status", "report-e2e", "--json")).Stdout;
        var trialIds = JsonDocument.Parse(ids).RootElement.GetProperty("trials").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();
        trialIds.Should().HaveCount(3);

        var csv = await File.ReadAllTextAsync(Path.Combine(sweep.ReportDir, "results.csv"));
        var md = await File.ReadAllTextAsync(Path.Combine(sweep.ReportDir, "report.md"));
        var html = await File.ReadAllTextAsync(Path.Combine(sweep.ReportDir, "report.html"));
        using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(sweep.ReportDir, "results.json")));
        csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().HaveCount(4, "a header and one row per trial");
        foreach (var id in trialIds)
        {
            csv.Should().Contain(id);
            md.Should().Contain(id);
            html.Should().Contain(id);
        }
        results.RootElement.GetProperty("synthetic").GetBoolean().Should().BeTrue();
        md.Should().Contain("SYNTHETIC").And.Contain("| candidate |").And.Contain("fixed-top-n n=1").And.Contain("fixed-top-n n=2");
        md.Should().Contain("paired t-test not run: a paired t-test needs at least 2 backbones");
        md.Should().Contain("McNemar test per backbone");

        string[] figures = ["accuracy.svg", "macro-f1.svg", "confusion-lightweight-cnn-dynamic.svg", "confusion-lightweight-cnn-fixed-top-n.svg",
            "learning-lightweight-cnn.svg", "reliability-lightweight-cnn.svg"];
        foreach (var f in figures)
        {
            File.Exists(Path.Combine(sweep.ReportDir, "figures", f)).Should().BeTrue(f);
            md.Should().Contain($"(figures/{f})");
        }
        Regex.Matches(html, "<svg ").Count.Should().Be(figures.Length);
    }

    [Fact]
    public async Task Sweep_report_png_writes_beside_each_svg_a_drawn_png_of_its_size()
    {
        var result = await Cli.RunAsync(sweep.Dir, TimeSpan.FromMinutes(2), "sweep", "report", "report-e2e", "--out", "report-png", "--png");
        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("and 6 figure(s) (SVG and PNG)");
        var figures = Path.Combine(sweep.Dir, "report-png", "figures");
        var svgs = Directory.GetFiles(figures, "*.svg");
        svgs.Should().HaveCount(6);
        Directory.GetFiles(figures, "*.png").Should().HaveCount(svgs.Length);
        foreach (var svg in svgs)
        {
            var root = XDocument.Load(svg).Root!;
            var png = Png.Decode(await File.ReadAllBytesAsync(Path.ChangeExtension(svg, ".png")));
            png.Width.Should().Be(int.Parse(root.Attribute("width")!.Value, CultureInfo.InvariantCulture), svg);
            png.Height.Should().Be(int.Parse(root.Attribute("height")!.Value, CultureInfo.InvariantCulture), svg);
            png.ShouldBeDrawn(Path.GetFileName(svg));
        }
    }

    [Fact]
    public async Task Reporting_an_unknown_sweep_is_one_clear_error()
    {
        var result = await Cli.RunAsync(sweep.Dir, TimeSpan.FromMinutes(1), "sweep", "report", "no-such-sweep", "--out", "x");
        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: no sweep 'no-such-sweep'");
        Directory.Exists(Path.Combine(sweep.Dir, "x")).Should().BeFalse();
    }
}
