using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Engine.Tests.Datasets;

public sealed class SyntheticDatasetBuilderTests : IDisposable
{
    private readonly TempDir _temp = new("synth-tests-");
    private readonly string _root;

    public SyntheticDatasetBuilderTests() => _root = _temp.Path;

    public void Dispose() => _temp.Dispose();

    private sealed class Recorder : IProgress<int>
    {
        public List<int> Reports { get; } = [];
        public void Report(int value) { lock (Reports) Reports.Add(value); }
    }

    private string[] TempDirectories() => Directory.GetDirectories(_root, "*.tmp-*");

    [Fact]
    public void Builds_a_readable_packed_dataset()
    {
        var dir = Path.Combine(_root, "demo");
        var progress = new Recorder();

        var built = SyntheticDatasetBuilder.Build(dir, SyntheticDatasetBuilder.DefaultImages, SyntheticDatasetBuilder.DefaultSize, 42, progress);

        var manifest = ManifestJson.Deserialize(File.ReadAllText(Path.Combine(dir, DatasetManifest.FileName)));
        var pixels = File.ReadAllBytes(Path.Combine(dir, manifest.Images));
        manifest.Should().BeEquivalentTo(built);
        manifest.Synthetic.Should().BeTrue();
        manifest.Height.Should().Be(64);
        manifest.Width.Should().Be(64);
        manifest.Images.Should().Be("images.u8");
        manifest.Classes.Should().Equal(CxrClasses.Names);
        manifest.CreatedBy.Should().Be("orchestrator data synth");
        manifest.Items.Should().HaveCount(840);
        pixels.Should().HaveCount(840 * 64 * 64);
        manifest.SourceHash.Should().MatchRegex("^[0-9a-f]{64}$");
        manifest.SourceHash.Should().Be(SyntheticDatasetBuilder.ContentHash(pixels, manifest.Items));
        progress.Reports.Should().NotBeEmpty().And.BeInAscendingOrder();
        progress.Reports[^1].Should().Be(840);
        TempDirectories().Should().BeEmpty();

        var items = manifest.Items;
        items.Select(x => x.Index).Should().Equal(Enumerable.Range(0, 840));
        items.Select(x => x.Source).Should().Equal(Enumerable.Range(0, 840).Select(i => $"synthetic:42:{i}"));
        var counts = SyntheticCxr.ClassCounts(840);
        for (var c = 0; c < 7; c++) items.Count(x => x.Label == c).Should().Be(counts[c]);

        foreach (var patient in items.GroupBy(x => x.Patient))
        {
            patient.Key.Should().MatchRegex("^SYN-P[0-9]{5}$");
            patient.Count().Should().BeInRange(1, 4);
            patient.Select(x => x.Split).Distinct().Should().ContainSingle("a patient never spans two splits");
            patient.Select(x => x.Label).Distinct().Should().ContainSingle();
        }
        for (var c = 0; c < 7; c++)
            foreach (var split in new[] { Splits.Train, Splits.Validation, Splits.Test })
                items.Should().Contain(x => x.Label == c && x.Split == split, $"class {c} needs images in {split}");
        items.Count(x => x.Split == Splits.Train).Should().BeCloseTo(672, 30);
        items.Count(x => x.Split == Splits.Validation).Should().BeCloseTo(84, 20);
        items.Count(x => x.Split == Splits.Test).Should().BeCloseTo(84, 20);

        // Row i is exactly image i rendered on its own, so parallel rendering did not mix anything up.
        foreach (var i in new[] { 0, 1, 417, 839 })
            pixels.AsSpan(i * 4096, 4096).ToArray().Should()
                .Equal(SyntheticCxr.Render(items[i].Label, 64, SyntheticDatasetBuilder.ImageSeed(42, i)));
    }

    [Fact]
    public void The_same_seed_gives_identical_files_and_another_seed_does_not()
    {
        SyntheticDatasetBuilder.Build(Path.Combine(_root, "a"), 200, 32, 7);
        SyntheticDatasetBuilder.Build(Path.Combine(_root, "b"), 200, 32, 7);
        var c = SyntheticDatasetBuilder.Build(Path.Combine(_root, "c"), 200, 32, 8);

        foreach (var file in new[] { "manifest.json", "images.u8" })
            File.ReadAllBytes(Path.Combine(_root, "b", file)).Should().Equal(File.ReadAllBytes(Path.Combine(_root, "a", file)));
        var a = ManifestJson.Deserialize(File.ReadAllText(Path.Combine(_root, "a", "manifest.json")));
        c.SourceHash.Should().NotBe(a.SourceHash);
    }

    [Fact]
    public void An_existing_directory_is_refused_and_left_untouched()
    {
        var dir = Path.Combine(_root, "taken");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");

        var act = () => SyntheticDatasetBuilder.Build(dir, 100, 32, 1);

        act.Should().Throw<IOException>().WithMessage("*already exists*");
        Directory.GetFileSystemEntries(dir).Should().ContainSingle().Which.Should().EndWith("keep.txt");
        File.ReadAllText(Path.Combine(dir, "keep.txt")).Should().Be("mine");
        TempDirectories().Should().BeEmpty();
    }

    [Fact]
    public void An_empty_existing_directory_is_refused_too()
    {
        var dir = Path.Combine(_root, "empty");
        Directory.CreateDirectory(dir);

        var act = () => SyntheticDatasetBuilder.Build(dir, 100, 32, 1);

        act.Should().Throw<IOException>();
        Directory.GetFileSystemEntries(dir).Should().BeEmpty();
    }

    [Fact]
    public void Invalid_arguments_leave_nothing_behind()
    {
        var dir = Path.Combine(_root, "bad");
        ((Action)(() => SyntheticDatasetBuilder.Build(dir, 10, 32, 1))).Should().Throw<ArgumentOutOfRangeException>();
        ((Action)(() => SyntheticDatasetBuilder.Build(dir, 100, 2, 1))).Should().Throw<ArgumentOutOfRangeException>();
        Directory.Exists(dir).Should().BeFalse();
        TempDirectories().Should().BeEmpty();
    }

    [Fact]
    public void Writer_abandoned_without_commit_leaves_nothing()
    {
        var dir = Path.Combine(_root, "abandoned");
        using (var writer = PackedDatasetWriter.Create(dir, 4, 4))
        {
            writer.Append(new byte[32]);
            Directory.Exists(writer.TempDirectory).Should().BeTrue();
        }
        Directory.Exists(dir).Should().BeFalse();
        TempDirectories().Should().BeEmpty();
    }

    [Fact]
    public void Writer_rejects_a_manifest_that_does_not_match_the_images_and_leaves_nothing()
    {
        var dir = Path.Combine(_root, "mismatch");
        var manifest = new DatasetManifest(DatasetManifest.FormatName, DatasetManifest.CurrentVersion, true, 4, 4,
            PackedDatasetWriter.ImagesFileName, ["a", "b"],
            [new ManifestItem(0, 0, "P1", Splits.Train, "x"), new ManifestItem(1, 1, "P2", Splits.Test, "y")],
            "hash", "test");

        var act = () => PackedDatasetWriter.Write(dir, manifest, new byte[16]);

        act.Should().Throw<ArgumentException>().WithMessage("*2 items*1 images*");
        Directory.Exists(dir).Should().BeFalse();
        TempDirectories().Should().BeEmpty();
    }

    [Fact]
    public void Writer_writes_a_whole_dataset_at_once()
    {
        var dir = Path.Combine(_root, "small");
        var manifest = new DatasetManifest(DatasetManifest.FormatName, DatasetManifest.CurrentVersion, false, 2, 3,
            PackedDatasetWriter.ImagesFileName, ["a", "b"],
            [new ManifestItem(0, 0, "P1", Splits.Train, "x"), new ManifestItem(1, 1, "P2", Splits.Validation, "y")],
            "hash", "test");
        byte[] pixels = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

        PackedDatasetWriter.Write(dir, manifest, pixels);

        File.ReadAllBytes(Path.Combine(dir, "images.u8")).Should().Equal(pixels);
        ManifestJson.Deserialize(File.ReadAllText(Path.Combine(dir, "manifest.json"))).Should().BeEquivalentTo(manifest);
        TempDirectories().Should().BeEmpty();
    }
}
