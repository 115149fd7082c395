using Orchestrator.Domain.Data;
using Orchestrator.Engine.Interop;
using Orchestrator.Domain.Training;
using Orchestrator.Engine.Training;

namespace Orchestrator.Engine.Datasets;

/// <summary>A packed dataset directory (manifest.json + images file) with its pixels memory-mapped natively. The
/// native side (and with it libtorch, half a second to load) is opened on the first pixel access, not before: a
/// process that only needs labels and splits never loads it.</summary>
public sealed class PackedDataset : IPackedDataset
{
    private readonly int[] _labels;
    private readonly Dictionary<string, int[]> _splits;
    private readonly Lazy<DatasetHandle> _handle;

    private PackedDataset(string directory, DatasetManifest manifest, int[] labels, Func<DatasetHandle> open)
    {
        Directory = directory;
        Manifest = manifest;
        _labels = labels;
        _handle = new Lazy<DatasetHandle>(open, LazyThreadSafetyMode.ExecutionAndPublication);
        _splits = manifest.Items
            .OrderBy(i => i.Index)
            .GroupBy(i => i.Split, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(i => i.Index).ToArray(), StringComparer.Ordinal);
    }

    public string Directory { get; }
    public DatasetManifest Manifest { get; }
    public IReadOnlyList<int> Labels => _labels;
    public int Count => _labels.Length;
    internal DatasetHandle Handle => _handle.Value;

    public IReadOnlyList<int> IndicesOf(string split) =>
        _splits.TryGetValue(split, out var indices) ? indices : [];

    /// <summary>Mean and standard deviation of the pixels (scaled to [0, 1]) of the given images.</summary>
    public unsafe (double Mean, double Std) PixelStatistics(ReadOnlySpan<int> indices)
    {
        if (indices.IsEmpty) throw new ArgumentException("pixel statistics need at least one image", nameof(indices));
        double mean, std;
        fixed (int* idx = indices)
            NativeMethods.Check(NativeMethods.ote_dataset_pixel_stats(Handle, idx, indices.Length, out mean, out std));
        return (mean, std);
    }

    public static PackedDataset Open(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"packed dataset directory '{directory}' does not exist");
        var manifestPath = Path.Combine(directory, DatasetManifest.FileName);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"packed dataset '{directory}' has no {DatasetManifest.FileName}", manifestPath);

        DatasetManifest manifest;
        try
        {
            manifest = ManifestJson.Deserialize(File.ReadAllText(manifestPath));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"'{manifestPath}' is not valid JSON: {e.Message}", e);
        }

        var labels = Validate(manifest, manifestPath);
        var imagesPath = Path.Combine(directory, manifest.Images);
        if (!File.Exists(imagesPath))
            throw new FileNotFoundException($"packed dataset '{directory}': images file '{manifest.Images}' is missing", imagesPath);
        var expected = (long)labels.Length * manifest.Height * manifest.Width;
        var actual = new FileInfo(imagesPath).Length;
        if (actual != expected)
            throw new InvalidDataException(
                $"'{imagesPath}' has {actual} bytes, expected {expected} ({labels.Length} x {manifest.Height} x {manifest.Width} uint8)");

        var fullImagesPath = Path.GetFullPath(imagesPath);
        return new PackedDataset(Path.GetFullPath(directory), manifest, labels, () => OpenNative(fullImagesPath, labels, manifest));
    }

    private static unsafe DatasetHandle OpenNative(string imagesPath, int[] labels, DatasetManifest manifest)
    {
        DatasetHandle handle;
        fixed (int* l = labels)
            NativeMethods.Check(NativeMethods.ote_dataset_open(imagesPath, labels.Length, manifest.Height, manifest.Width, l, out handle));
        return handle;
    }

    private static int[] Validate(DatasetManifest manifest, string manifestPath)
    {
        if (manifest.Height <= 0 || manifest.Width <= 0)
            throw new InvalidDataException($"'{manifestPath}': image size {manifest.Height}x{manifest.Width} is not positive");
        if (manifest.Items.Count == 0)
            throw new InvalidDataException($"'{manifestPath}' lists no images");
        if (string.IsNullOrEmpty(manifest.Images))
            throw new InvalidDataException($"'{manifestPath}' names no images file");
        var labels = new int[manifest.Items.Count];
        var seen = new bool[labels.Length];
        foreach (var item in manifest.Items)
        {
            if (item.Index < 0 || item.Index >= labels.Length || seen[item.Index])
                throw new InvalidDataException(
                    $"'{manifestPath}': item index {item.Index} is out of range or repeated (indices must be 0..{labels.Length - 1}, each once)");
            if (item.Label < 0 || item.Label >= manifest.Classes.Count)
                throw new InvalidDataException(
                    $"'{manifestPath}': item {item.Index} has label {item.Label}, but there are {manifest.Classes.Count} classes");
            seen[item.Index] = true;
            labels[item.Index] = item.Label;
        }
        return labels;
    }

    public void Dispose()
    {
        if (_handle.IsValueCreated) _handle.Value.Dispose();
    }
}
