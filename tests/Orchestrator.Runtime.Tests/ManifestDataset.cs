using Orchestrator.Domain.Data;
using Orchestrator.Domain.Training;

namespace Orchestrator.Runtime.Tests;

/// <summary>A dataset made of its manifest alone (no pixels): enough for trials on a scripted engine, which only
/// reads labels and splits. Written to disk so that sweep planning finds it.</summary>
public sealed class ManifestDataset(DatasetManifest manifest) : IPackedDataset
{
    public DatasetManifest Manifest { get; } = manifest;

    public IReadOnlyList<int> Labels { get; } = manifest.Items.Select(i => i.Label).ToArray();

    public IReadOnlyList<int> IndicesOf(string split) => Manifest.Items.Where(i => i.Split == split).Select(i => i.Index).ToList();

    public void Dispose() { }

    /// <summary>Writes a manifest of <paramref name="images"/> images over the seven classes (80/10/10) into <paramref name="folder"/>.</summary>
    public static void Write(string folder, int images)
    {
        var items = Enumerable.Range(0, images).Select(i => new ManifestItem(
            i, i % CxrClasses.Names.Count, $"p{i}", (i % 10) switch { 8 => Splits.Validation, 9 => Splits.Test, _ => Splits.Train }, "scripted")).ToList();
        var manifest = new DatasetManifest(DatasetManifest.FormatName, DatasetManifest.CurrentVersion, true, 16, 16, "images.u8",
            CxrClasses.Names, items, "test", "tests");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, DatasetManifest.FileName), ManifestJson.Serialize(manifest));
    }

    public static IPackedDataset Open(string folder) =>
        new ManifestDataset(ManifestJson.Deserialize(File.ReadAllText(Path.Combine(folder, DatasetManifest.FileName))));
}
