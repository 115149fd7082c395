using System.Diagnostics;
using System.Text.Json;

namespace Orchestrator.Cli.Tests;

/// <summary>`data ingest` and `data show` as a user runs them; the source is written by make_source.py (Pillow).</summary>
public class DataCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static string MakeSource()
    {
        var dir = Cli.TempDir();
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "make_source.py"));
        info.ArgumentList.Add(dir);
        info.ArgumentList.Add("32");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, stderr);
        return dir;
    }

    [Fact]
    public async Task Ingest_prints_qc_and_the_split_table_shows_no_file_names_and_show_summarizes()
    {
        var dir = MakeSource();
        var result = await Cli.RunAsync(dir, Timeout, "data", "ingest", "--source", "folder", "--out", "ds", "--size", "32",
            "--classes", "Pneumonia,COVID-19,Tuberculosis", "--patient-pattern", @"^[^/]+/(p\d+)_", "--seed", "5");

        result.ExitCode.Should().Be(0, result.Stderr);
        result.Stdout.Should().Contain("hashing: 30/30").And.Contain("decoding: 29/29").And.Contain("wrote dataset ds: 24 images 32x32, 3 classes")
            .And.Contain("truncated").And.Contain("Images per class and split");
        result.Stdout.Should().NotContain("p000").And.NotContain(".png", "progress and tables carry counts, never file names");

        var again = await Cli.RunAsync(dir, Timeout, "data", "ingest", "--source", "folder", "--out", "ds", "--size", "32",
            "--classes", "Pneumonia,COVID-19,Tuberculosis", "--patient-pattern", @"^[^/]+/(p\d+)_", "--seed", "5");
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain("ds is up to date");

        var show = await Cli.RunAsync(dir, Timeout, "data", "show", "ds");
        show.ExitCode.Should().Be(0, show.Stderr);
        show.Stdout.Should().Contain("real dataset, 24 images 32x32, 3 classes, 18 patients").And.Contain("split 80/10/10 by patient, seed 5");

        var json = await Cli.RunAsync(dir, Timeout, "data", "show", "ds", "--json");
        json.ExitCode.Should().Be(0, json.Stderr);
        using var doc = JsonDocument.Parse(json.Stdout);
        doc.RootElement.GetProperty("manifest").GetProperty("synthetic").GetBoolean().Should().BeFalse();
        doc.RootElement.GetProperty("splits").EnumerateArray().Sum(r => r.GetProperty("total").GetInt32()).Should().Be(24);
        doc.RootElement.GetProperty("qc").GetProperty("rejected").GetArrayLength().Should().Be(7);
    }

    [Fact]
    public async Task Show_labels_a_synthetic_set_synthetic()
    {
        var dir = Cli.TempDir();
        (await Cli.RunAsync(dir, Timeout, "data", "synth", "--out", "syn", "--images", "84", "--size", "16")).ExitCode.Should().Be(0);
        var show = await Cli.RunAsync(dir, Timeout, "data", "show", "syn");
        show.ExitCode.Should().Be(0, show.Stderr);
        show.Stdout.Should().Contain("SYNTHETIC dataset, 84 images 16x16, 7 classes").And.Contain("(SYNTHETIC data)");
    }

    [Theory]
    [InlineData("missing-folder", "--source: 'nowhere' does not exist")]
    [InlineData("empty-class", "--source: class folder 'Empty' is empty")]
    [InlineData("malformed-csv", "bad.csv:3: 2 fields, but the header has 3")]
    [InlineData("bad-split", "--split: '80/30/10' must sum to 100")]
    [InlineData("bad-intensity", "--intensity: 'log' is not minmax or percentile")]
    [InlineData("no-images-of-a-class", "class 'Atelectasis' has no images in the source")]
    public async Task Bad_input_is_one_error_line_exit_2_and_nothing_written(string @case, string message)
    {
        var dir = MakeSource();
        Directory.CreateDirectory(Path.Combine(dir, "folder", "Empty"));
        File.WriteAllText(Path.Combine(dir, "bad.csv"), "path,label,patient_id\nfolder/Pneumonia/p000_a.png,Pneumonia,p000\nfolder/Pneumonia/p000_b.png,Pneumonia\n");
        string[] args = @case switch
        {
            "missing-folder" => ["--source", "nowhere"],
            "empty-class" => ["--source", "folder"],
            "malformed-csv" => ["--source", "bad.csv"],
            "bad-split" => ["--source", "source.csv", "--split", "80/30/10"],
            "bad-intensity" => ["--source", "source.csv", "--intensity", "log"],
            _ => ["--source", "source.csv", "--classes", "Pneumonia,COVID-19,Tuberculosis,Atelectasis"],
        };

        var result = await Cli.RunAsync(dir, Timeout, ["data", "ingest", "--out", "ds", "--size", "32", .. args]);

        result.ExitCode.Should().Be(2);
        result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().ContainSingle()
            .Which.Should().StartWith("error: ").And.Contain(message);
        Directory.Exists(Path.Combine(dir, "ds")).Should().BeFalse();
        Directory.GetDirectories(dir, "ds.tmp-*").Should().BeEmpty("no half-written dataset is left behind");
    }

    [Fact]
    public async Task An_existing_different_dataset_is_refused_and_left_untouched()
    {
        var dir = MakeSource();
        var first = await Cli.RunAsync(dir, Timeout, "data", "ingest", "--source", "source.csv", "--out", "ds", "--size", "32",
            "--classes", "Pneumonia,COVID-19,Tuberculosis");
        first.ExitCode.Should().Be(0, first.Stderr);
        var before = Directory.GetFiles(Path.Combine(dir, "ds")).ToDictionary(f => f, File.ReadAllBytes);

        var second = await Cli.RunAsync(dir, Timeout, "data", "ingest", "--source", "source.csv", "--out", "ds", "--size", "32",
            "--classes", "Pneumonia,COVID-19,Tuberculosis", "--split", "70/15/15");

        second.ExitCode.Should().Be(2);
        second.Stderr.Trim().Should().StartWith("error: --out: 'ds' already exists and was not made from this source");
        Directory.GetFiles(Path.Combine(dir, "ds")).ToDictionary(f => f, File.ReadAllBytes).Should().BeEquivalentTo(before);
    }
}
