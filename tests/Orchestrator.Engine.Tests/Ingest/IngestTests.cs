using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;
using Orchestrator.Engine.Datasets;
using Orchestrator.Engine.Ingest;
using Xunit.Abstractions;

namespace Orchestrator.Engine.Tests.Ingest;

public sealed class IngestTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Classes = ["Pneumonia", "COVID-19", "Tuberculosis"];
    private readonly IngestSourceFixture _source = new();

    public void Dispose() => _source.Dispose();

    private IngestOptions Options(string source, string output, string? pattern = null) => new(
        Source: source, Output: output, Size: IngestSourceFixture.Size, Seed: 3, Classes: Classes, PatientPattern: pattern);

    [Fact]
    public void A_folder_source_is_packed_pixel_for_pixel_as_an_independent_decoder_sees_it()
    {
        var outDir = _source.Output("folder");
        var result = DatasetIngestor.Run(Options(_source.Folder, outDir, pattern: @"^[^/]+/(p\d+)_"));

        var m = result.Manifest;
        m.Synthetic.Should().BeFalse();
        m.Classes.Should().Equal(Classes);
        m.Items.Select(i => i.Source).Should().BeEquivalentTo(_source.Tolerance.Keys.Where(k => !k.StartsWith("dicom/")), "every good image and nothing else is kept");
        CheckPixels(outDir, m, prefix: "");

        var reasons = result.Qc.Rejected.ToDictionary(r => r.Source, r => r.Reason);
        reasons.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["Pneumonia/p099_truncated.png"] = QcReasons.Truncated,
            ["COVID-19/p199_truncated.jpg"] = QcReasons.Truncated,
            ["Pneumonia/p098_zero.png"] = QcReasons.Empty,
            ["COVID-19/p198_notes.png"] = QcReasons.NotAnImage,
            ["Tuberculosis/p298_flat.png"] = QcReasons.Constant,
            ["Pneumonia/z_copy.png"] = QcReasons.Duplicate,
            ["Sarcoidosis/p900_a.png"] = QcReasons.UnknownClass,
        });
        result.Qc.Rejected.Single(r => r.Reason == QcReasons.Duplicate).Detail.Should().Be("same content as Pneumonia/p000_a.png");
        result.Qc.AcceptedByClass.Should().BeEquivalentTo(new Dictionary<string, int> { ["Pneumonia"] = 8, ["COVID-19"] = 8, ["Tuberculosis"] = 8 });

        // The QC report travels with the dataset, as JSON and as a table.
        var qc = QcReport.FromJson(File.ReadAllText(Path.Combine(outDir, QcReport.JsonFileName)));
        qc.Rejected.Should().HaveCount(7);
        var table = File.ReadAllText(Path.Combine(outDir, QcReport.TableFileName));
        output.WriteLine(table);
        table.Should().Contain("Pneumonia").And.Contain("truncated").And.Contain("duplicate");

        // The pattern gave patient ids; the copy (no match) is left out anyway.
        m.Items.Select(i => i.Patient).Distinct().Should().HaveCount(18);
        m.Provenance!.PatientIds.Should().Contain("24 from the pattern");
        NoPatientSpansTwoSplits(m);
    }

    [Fact]
    public void A_csv_source_keeps_its_patient_ids_and_extra_columns_and_reports_bad_rows()
    {
        var outDir = _source.Output("csv");
        var result = DatasetIngestor.Run(Options(_source.Csv, outDir));

        var m = result.Manifest;
        m.Items.Should().HaveCount(24);
        CheckPixels(outDir, m, prefix: "folder/");
        m.Items.Should().OnlyContain(i => i.Extra != null && i.Extra["view"] == "PA");
        m.Items.First(i => i.Source == "folder/Pneumonia/p001_b.png").Patient.Should().Be("p001");
        m.Provenance!.Layout.Should().Be("csv");
        m.Provenance.PatientIds.Should().Be("24 from the source's patient_id column");

        result.Qc.Rejected.Select(r => (r.Source, r.Reason)).Should().BeEquivalentTo(new[]
        {
            ("folder/Sarcoidosis/p900_a.png", QcReasons.UnknownClass),
            ("folder/Pneumonia/p097_missing.png", QcReasons.Missing),
            ("folder/Pneumonia/p098_zero.png", QcReasons.Empty),
        });
        result.Qc.Rejected.Single(r => r.Reason == QcReasons.UnknownClass).Detail.Should().StartWith("line 26:");
        NoPatientSpansTwoSplits(m);
    }

    [Fact]
    public void Dicom_files_are_windowed_inverted_and_rescaled_as_defined_and_a_truncated_one_is_caught()
    {
        var result = DatasetIngestor.Run(Options(Path.Combine(_source.Root, "dicom.csv"), _source.Output("dicom")) with
        {
            Classes = ["Pneumonia", "COVID-19"],
        });

        result.Manifest.Items.Should().HaveCount(4);
        CheckPixels(_source.Output("dicom"), result.Manifest, prefix: "");
        result.Qc.Rejected.Should().ContainSingle().Which.Should().Be(
            new QcRejection("dicom/COVID-19/d199_truncated.dcm", "COVID-19", QcReasons.Truncated));
    }

    [Fact]
    public void A_patient_with_conflicting_labels_is_reported_and_still_kept_in_one_split()
    {
        var csv = Path.Combine(_source.Root, "conflict.csv");
        File.WriteAllText(csv, File.ReadAllText(_source.Csv).Replace(",COVID-19,p100,", ",COVID-19,p000,"));
        var result = DatasetIngestor.Run(Options(csv, _source.Output("conflict")));

        var conflict = result.Qc.ConflictingPatients.Should().ContainSingle().Subject;
        conflict.Patient.Should().Be("p000");
        conflict.Labels.Should().BeEquivalentTo(new Dictionary<string, int> { ["Pneumonia"] = 2, ["COVID-19"] = 2 });
        result.Qc.ToTable().Should().Contain("1 patient(s) with conflicting labels");
        result.Manifest.Items.Where(i => i.Patient == "p000").Should().HaveCount(4);
        NoPatientSpansTwoSplits(result.Manifest);
    }

    [Fact]
    public void Running_again_is_idempotent_and_never_replaces_a_different_dataset()
    {
        var outDir = _source.Output("again");
        var first = DatasetIngestor.Run(Options(_source.Csv, outDir));
        var bytes = Snapshot(outDir);

        var second = DatasetIngestor.Run(Options(_source.Csv, outDir));
        second.UpToDate.Should().BeTrue();
        Snapshot(outDir).Should().BeEquivalentTo(bytes);

        // Written afresh elsewhere, the same source gives byte-identical files.
        var elsewhere = _source.Output("again-elsewhere");
        DatasetIngestor.Run(Options(_source.Csv, elsewhere));
        Snapshot(elsewhere).Should().BeEquivalentTo(bytes);

        // Other options (or another source) into the same folder: refused, the dataset untouched.
        var act = () => DatasetIngestor.Run(Options(_source.Csv, outDir) with { Seed = 4 });
        act.Should().Throw<DataSourceException>().WithMessage("*already exists*refusing to overwrite*");
        Snapshot(outDir).Should().BeEquivalentTo(bytes);
        first.Manifest.SourceHash.Should().Be(ManifestJson.Deserialize(File.ReadAllText(Path.Combine(outDir, "manifest.json"))).SourceHash);
    }

    [Fact]
    public void Without_patient_ids_each_image_is_its_own_patient_and_the_manifest_says_so()
    {
        var result = DatasetIngestor.Run(Options(_source.Folder, _source.Output("own")));
        result.Manifest.Items.Should().OnlyContain(i => i.Patient == PatientIdRule.OwnPatientPrefix + i.Source);
        result.Manifest.Provenance!.PatientIds.Should().Be("24 without one, each its own patient (a patient's images may then span splits)");
    }

    [Fact]
    public void A_class_without_usable_images_stops_the_ingest_before_anything_is_written()
    {
        var outDir = _source.Output("empty-class");
        var act = () => DatasetIngestor.Run(Options(_source.Folder, outDir) with { Classes = [.. Classes, "Atelectasis"] });
        act.Should().Throw<DataSourceException>().WithMessage("class 'Atelectasis' has no images in the source");
        Directory.Exists(Path.GetDirectoryName(outDir)) .Should().BeFalse();
    }

    private void CheckPixels(string outDir, DatasetManifest m, string prefix)
    {
        var pixels = File.ReadAllBytes(Path.Combine(outDir, PackedDatasetWriter.ImagesFileName));
        const int bytes = IngestSourceFixture.Size * IngestSourceFixture.Size;
        pixels.Length.Should().Be(m.Items.Count * bytes);
        foreach (var item in m.Items)
        {
            var relative = item.Source[prefix.Length..];
            var expected = _source.Expected(relative);
            var actual = pixels.AsSpan(item.Index * bytes, bytes).ToArray();
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            worst.Should().BeLessThanOrEqualTo(_source.Tolerance[relative], $"{relative} must match Pillow's decode");
            m.Classes[item.Label].Should().Be(relative.Split('/')[^2]);
        }
    }

    private static void NoPatientSpansTwoSplits(DatasetManifest m)
    {
        m.Items.GroupBy(i => i.Patient).Should().OnlyContain(g => g.Select(i => i.Split).Distinct().Count() == 1);
        foreach (var split in new[] { Splits.Train, Splits.Validation, Splits.Test })
            m.Items.Should().Contain(i => i.Split == split);
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);
}
