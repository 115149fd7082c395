using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Randomness;

namespace Orchestrator.Engine.Datasets;

/// <summary>
/// <c>data synth</c>: a synthetic seven-class CXR-like packed dataset with the paper's class proportions,
/// split 80/10/10 by patient. The same arguments always give byte-identical files.
/// </summary>
public static class SyntheticDatasetBuilder
{
    public const int DefaultImages = 840;
    public const int DefaultSize = 64;
    public const string CreatedBy = "orchestrator data synth";
    public const string PatientPrefix = "SYN-P";

    private const int MaxImagesPerPatient = 4;
    private const int MinPatientsPerClass = 3;
    private const long ChunkBytes = 16L << 20;

    /// <summary>The render seed of image <paramref name="index"/>; with its label it reproduces the pixels alone.</summary>
    public static ulong ImageSeed(int seed, int index) =>
        SplitMix64.Derive(SplitMix64.Derive(unchecked((ulong)(long)seed), 1), unchecked((ulong)index));

    /// <summary>
    /// Writes the dataset to <paramref name="outDir"/> (which must not exist) and returns its manifest.
    /// <paramref name="progress"/> hears the number of images rendered so far.
    /// </summary>
    public static DatasetManifest Build(string outDir, int images, int size, int seed, IProgress<int>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outDir);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        var counts = SyntheticCxr.ClassCounts(images);

        var items = Layout(counts, seed);
        var splits = PatientSplitter.Assign(items.Select(x => (x.Patient, x.Label)).ToArray(), seed);
        var manifestItems = items
            .Select((x, i) => new ManifestItem(i, x.Label, x.Patient, splits[x.Patient],
                string.Create(CultureInfo.InvariantCulture, $"synthetic:{seed}:{i}")))
            .ToArray();

        var imageBytes = size * size;
        using var writer = PackedDatasetWriter.Create(outDir, size, size);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var perChunk = (int)Math.Clamp(Math.Min(images / 20, ChunkBytes / imageBytes), 1, images);
        var buffer = new byte[(long)perChunk * imageBytes];
        for (var start = 0; start < images; start += perChunk)
        {
            var n = Math.Min(perChunk, images - start);
            var first = start;
            // Each image owns its slice and its seed, so the bytes do not depend on how threads are scheduled.
            Parallel.For(0, n, k => SyntheticCxr.Render(
                items[first + k].Label, size, ImageSeed(seed, first + k), buffer.AsSpan(k * imageBytes, imageBytes)));
            var chunk = buffer.AsSpan(0, n * imageBytes);
            writer.Append(chunk);
            hash.AppendData(chunk);
            progress?.Report(start + n);
        }

        var manifest = new DatasetManifest(
            Format: DatasetManifest.FormatName,
            Version: DatasetManifest.CurrentVersion,
            Synthetic: true,
            Height: size,
            Width: size,
            Images: PackedDatasetWriter.ImagesFileName,
            Classes: CxrClasses.Names.ToArray(),
            Items: manifestItems,
            SourceHash: FinishHash(hash, manifestItems),
            CreatedBy: CreatedBy);
        return writer.Commit(manifest);
    }

    /// <summary>
    /// SHA-256 (lowercase hex) of the dataset content: every pixel of images.u8 in file order, then every label as a
    /// little-endian int32 in item order. <see cref="Build"/> fills <see cref="DatasetManifest.SourceHash"/> with it.
    /// </summary>
    public static string ContentHash(ReadOnlySpan<byte> pixels, IReadOnlyList<ManifestItem> items)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(pixels);
        return FinishHash(hash, items);
    }

    private static string FinishHash(IncrementalHash hash, IReadOnlyList<ManifestItem> items)
    {
        Span<byte> label = stackalloc byte[4];
        foreach (var item in items)
        {
            BinaryPrimitives.WriteInt32LittleEndian(label, item.Label);
            hash.AppendData(label);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Patients (1 to 4 images each, one label) per class, at least three per class so every class can reach every
    /// split; patients are shuffled across classes, numbered in that order, and their images kept together.
    /// </summary>
    private static List<(string Patient, int Label)> Layout(int[] counts, int seed)
    {
        var rng = new SplitMix64(SplitMix64.Derive(unchecked((ulong)(long)seed), 0));
        var patients = new List<(int Label, int Images)>();
        for (var label = 0; label < counts.Length; label++)
        {
            var remaining = counts[label];
            for (var made = 0; remaining > 0; made++)
            {
                var stillNeeded = Math.Max(0, MinPatientsPerClass - made - 1);
                var take = Math.Max(1, Math.Min(1 + rng.NextInt(MaxImagesPerPatient), remaining - stillNeeded));
                patients.Add((label, take));
                remaining -= take;
            }
        }
        rng.Shuffle(patients);

        var items = new List<(string Patient, int Label)>(counts.Sum());
        for (var p = 0; p < patients.Count; p++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"{PatientPrefix}{p + 1:D5}");
            for (var k = 0; k < patients[p].Images; k++) items.Add((id, patients[p].Label));
        }
        return items;
    }
}
