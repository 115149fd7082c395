using Orchestrator.Domain.Data;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Engine.Tests;

public sealed class PackedDatasetTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Opens_a_packed_dataset_with_labels_and_splits()
    {
        using var data = PackedDataset.Open(TinyData.Create(_tmp.File("d"), 4, 2, 16, seed: 1));
        data.Count.Should().Be(18);
        data.Manifest.Classes.Should().Equal("horizontal", "vertical", "flat");
        data.IndicesOf(Splits.Train).Should().Equal(Enumerable.Range(0, 12));
        data.IndicesOf(Splits.Validation).Should().Equal(Enumerable.Range(12, 6));
        data.IndicesOf(Splits.Test).Should().BeEmpty();
        data.Labels.Take(6).Should().Equal(0, 1, 2, 0, 1, 2);
    }

    [Fact]
    public void Missing_directory_or_manifest_fail_clearly()
    {
        var missing = _tmp.File("absent");
        FluentActions.Invoking(() => PackedDataset.Open(missing)).Should().Throw<DirectoryNotFoundException>()
            .WithMessage($"*'{missing}'*");
        var empty = Directory.CreateDirectory(_tmp.File("empty")).FullName;
        FluentActions.Invoking(() => PackedDataset.Open(empty)).Should().Throw<FileNotFoundException>()
            .WithMessage("*manifest.json*");
    }

    [Fact]
    public void An_images_file_of_the_wrong_size_is_refused()
    {
        var dir = TinyData.Create(_tmp.File("d"), 4, 2, 16, seed: 1);
        using (var f = File.OpenWrite(Path.Combine(dir, "images.u8")))
            f.SetLength(f.Length - 1);
        FluentActions.Invoking(() => PackedDataset.Open(dir)).Should().Throw<InvalidDataException>()
            .WithMessage("*4607 bytes, expected 4608 (18 x 16 x 16 uint8)*");
    }

    [Fact]
    public void Labels_outside_the_classes_are_refused()
    {
        var dir = TinyData.Create(_tmp.File("d"), 1, 0, 16, seed: 1);
        var path = Path.Combine(dir, DatasetManifest.FileName);
        var manifest = ManifestJson.Deserialize(File.ReadAllText(path));
        var items = manifest.Items.ToList();
        items[1] = items[1] with { Label = 7 };
        File.WriteAllText(path, ManifestJson.Serialize(manifest with { Items = items }));
        FluentActions.Invoking(() => PackedDataset.Open(dir)).Should().Throw<InvalidDataException>()
            .WithMessage("*item 1 has label 7*");
    }
}
