using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Data.Ingest;
using Orchestrator.Engine.Datasets;

namespace Orchestrator.Engine.Ingest;

/// <summary>What <c>data ingest</c> was asked to do.</summary>
public sealed record IngestOptions(
    string Source,
    string Output,
    int Size = 1024,
    int Seed = 1,
    SplitRatios? Split = null,
    IReadOnlyList<string>? Classes = null,
    string? PatientPattern = null,
    Intensity Intensity = Intensity.MinMax,
    int Threads = 0);

/// <summary>Progress of one phase ("hashing", "decoding"): items done out of the total.</summary>
public readonly record struct IngestProgress(string Phase, int Done, int Total);

/// <summary>The dataset written (or found up to date) and its quality-control report.</summary>
public sealed record IngestResult(DatasetManifest Manifest, QcReport Qc, bool UpToDate);

/// <summary>
/// <c>data ingest</c>: lists a source, checks every file (quality control), decodes the good ones natively to gray
/// 8-bit squares, splits by patient and writes a packed dataset with qc.json and qc.txt, all or nothing. The output
/// depends only on the source's content and the options: running it again finds the dataset up to date, and an
/// existing dataset built from anything else is never touched.
/// </summary>
public static class DatasetIngestor
{
    public const string CreatedBy = "orchestrator data ingest";
    private const long ChunkBytes = 64L << 20;

    private sealed class Candidate(SourceImage image, int label, string patient)
    {
        public SourceImage Image { get; } = image;
        public int Label { get; } = label;
        public string Patient { get; } = patient;
        public string? Hash { get; set; }
        public QcRejection? Rejection { get; set; }
    }

    public static IngestResult Run(IngestOptions options, IProgress<IngestProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Size is < 16 or > 4096) throw new DataSourceException($"--size: {options.Size} is invalid (16 to 4096)");
        var split = options.Split ?? SplitRatios.Default;
        var patients = new PatientIdRule(options.PatientPattern);
        var source = IngestSource.Read(options.Source);
        var classes = options.Classes is { } given ? ClassList.Given(given) : ClassList.FromLabels(source.Images.Select(i => i.Label));

        var candidates = source.Images.Select(i => new Candidate(i, classes.IndexOf(i.Label), patients.IdOf(i))).ToArray();
        foreach (var c in candidates.Where(c => c.Label < 0))
            c.Rejection = new QcRejection(c.Image.Path, c.Image.Label, QcReasons.UnknownClass,
                c.Image.Line > 0 ? $"line {c.Image.Line}: not one of {string.Join(", ", classes.Names)}" : null);
        RequireEveryClass(classes, candidates, "has no images in the source");

        var parallel = new ParallelOptions
        {
            CancellationToken = ct,
            MaxDegreeOfParallelism = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
        };
        HashFiles(source, candidates.Where(c => c.Rejection is null).ToArray(), parallel, progress);
        var sourceHash = SourceHash(options, split, classes, candidates);
        if (Directory.Exists(options.Output) || File.Exists(options.Output))
            return Existing(options.Output, sourceHash);
        MarkDuplicates(candidates);

        using var writer = PackedDatasetWriter.Create(options.Output, options.Size, options.Size);
        var kept = Decode(source, options, candidates, writer, parallel, progress);
        RequireEveryClass(classes, kept, "has no usable images after quality control");

        var pairs = kept.Select(c => (c.Patient, c.Label)).ToArray();
        var assignment = PatientSplitter.Assign(pairs, options.Seed, split.TrainShare, split.ValidationShare);
        var qc = new QcReport(
            Examined: candidates.Length + source.Outside.Count,
            AcceptedByClass: kept.GroupBy(c => c.Image.Label, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Rejected: source.Outside.Select(f => new QcRejection(f, "", QcReasons.UnknownClass, "outside any class folder"))
                .Concat(candidates.Select(c => c.Rejection).OfType<QcRejection>()).ToArray(),
            ConflictingPatients: PatientSplitter.Conflicts(pairs)
                .Select(p => new PatientConflict(p.Patient, p.Labels.ToDictionary(l => classes.Names[l.Key], l => l.Value, StringComparer.Ordinal)))
                .ToArray());

        var manifest = new DatasetManifest(
            Format: DatasetManifest.FormatName,
            Version: DatasetManifest.CurrentVersion,
            Synthetic: false,
            Height: options.Size,
            Width: options.Size,
            Images: PackedDatasetWriter.ImagesFileName,
            Classes: classes.Names.ToArray(),
            Items: kept.Select((c, i) => new ManifestItem(i, c.Label, c.Patient, assignment[c.Patient], c.Image.Path, c.Image.Extra)).ToArray(),
            SourceHash: sourceHash,
            CreatedBy: CreatedBy,
            Provenance: new IngestProvenance(
                Source: options.Source,
                Layout: source.Layout,
                PatientIds: patients.Describe(kept.Select(c => c.Image).ToArray()),
                Split: split.ToString(),
                Seed: options.Seed,
                Intensity: options.Intensity == Intensity.MinMax ? "minmax" : "percentile",
                Accepted: kept.Count,
                Rejected: qc.RejectedByReason));
        writer.WriteFile(QcReport.JsonFileName, qc.ToJson());
        writer.WriteFile(QcReport.TableFileName, qc.ToTable());
        return new IngestResult(writer.Commit(manifest), qc, UpToDate: false);
    }

    private static void RequireEveryClass(ClassList classes, IEnumerable<Candidate> candidates, string problem)
    {
        var present = candidates.Where(c => c.Rejection is null && c.Label >= 0).Select(c => c.Label).ToHashSet();
        var missing = classes.Names.Where((_, i) => !present.Contains(i)).ToArray();
        if (missing.Length > 0)
            throw new DataSourceException($"class '{missing[0]}' {problem}" + (missing.Length > 1 ? $" (nor do {string.Join(", ", missing.Skip(1).Select(m => $"'{m}'"))})" : ""));
    }

    private static void HashFiles(IngestSource source, Candidate[] todo, ParallelOptions parallel, IProgress<IngestProgress>? progress)
    {
        var done = 0;
        progress?.Report(new IngestProgress("hashing", 0, todo.Length));
        Parallel.ForEach(todo, parallel, c =>
        {
            var bytes = ReadOrReject(source, c);
            if (bytes is not null) c.Hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
            progress?.Report(new IngestProgress("hashing", Interlocked.Increment(ref done), todo.Length));
        });
    }

    private static byte[]? ReadOrReject(IngestSource source, Candidate c)
    {
        try
        {
            return File.ReadAllBytes(source.FullPath(c.Image));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            c.Rejection = new QcRejection(c.Image.Path, c.Image.Label, QcReasons.Missing, c.Image.Line > 0 ? $"line {c.Image.Line}" : null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            c.Rejection = new QcRejection(c.Image.Path, c.Image.Label, QcReasons.Unreadable, e.GetType().Name);
        }
        return null;
    }

    /// <summary>The first image with given content stays; later ones (in source order) are duplicates of it.</summary>
    private static void MarkDuplicates(Candidate[] candidates)
    {
        var first = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var c in candidates.Where(c => c.Rejection is null))
            if (!first.TryAdd(c.Hash!, c.Image.Path))
                c.Rejection = new QcRejection(c.Image.Path, c.Image.Label, QcReasons.Duplicate, $"same content as {first[c.Hash!]}");
    }

    private static List<Candidate> Decode(IngestSource source, IngestOptions options, Candidate[] candidates,
        PackedDatasetWriter writer, ParallelOptions parallel, IProgress<IngestProgress>? progress)
    {
        var todo = candidates.Where(c => c.Rejection is null).ToArray();
        var imageBytes = options.Size * options.Size;
        var perChunk = (int)Math.Clamp(ChunkBytes / imageBytes, 1, 1024);
        var buffer = new byte[(long)Math.Min(perChunk, Math.Max(1, todo.Length)) * imageBytes];
        var kept = new List<Candidate>(todo.Length);
        var done = 0;
        progress?.Report(new IngestProgress("decoding", 0, todo.Length));
        for (var start = 0; start < todo.Length; start += perChunk)
        {
            var n = Math.Min(perChunk, todo.Length - start);
            var chunk = todo.AsSpan(start, n).ToArray();
            Parallel.For(0, n, parallel, k =>
            {
                DecodeOne(source, options, chunk[k], buffer.AsSpan(k * imageBytes, imageBytes));
                progress?.Report(new IngestProgress("decoding", Interlocked.Increment(ref done), todo.Length));
            });
            for (var k = 0; k < n; k++)
            {
                if (chunk[k].Rejection is not null) continue;
                writer.Append(buffer.AsSpan(k * imageBytes, imageBytes));
                kept.Add(chunk[k]);
            }
        }
        return kept;
    }

    private static void DecodeOne(IngestSource source, IngestOptions options, Candidate c, Span<byte> destination)
    {
        var bytes = ReadOrReject(source, c);
        if (bytes is null) return;
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != c.Hash)
            throw new IOException($"source file '{c.Image.Path}' changed during ingest; run again when the source is stable");
        var result = ImageDecoder.Decode(bytes, options.Size, options.Intensity, destination);
        var reason = result.Status switch
        {
            DecodeStatus.Ok => null,
            DecodeStatus.Empty => QcReasons.Empty,
            DecodeStatus.NotAnImage => QcReasons.NotAnImage,
            DecodeStatus.Truncated => QcReasons.Truncated,
            DecodeStatus.Constant => QcReasons.Constant,
            DecodeStatus.Unsupported => QcReasons.Unsupported,
            _ => QcReasons.Unreadable,
        };
        if (reason is not null)
            c.Rejection = new QcRejection(c.Image.Path, c.Image.Label, reason,
                result.Status == DecodeStatus.Unsupported ? "DICOM is not supported by this build" : null);
    }

    /// <summary>
    /// SHA-256 over the options that shape the output and every listed image (path, label, patient, extra columns,
    /// content hash or why it has none): two runs with equal hashes write byte-identical datasets.
    /// </summary>
    private static string SourceHash(IngestOptions options, SplitRatios split, ClassList classes, Candidate[] candidates)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"{CreatedBy} v1\nsize={options.Size}\nseed={options.Seed}\nsplit={split}\nintensity={options.Intensity}\nclasses={string.Join('|', classes.Names)}\n");
        foreach (var c in candidates)
        {
            text.Append(c.Image.Path).Append('\t').Append(c.Image.Label).Append('\t').Append(c.Patient).Append('\t')
                .Append(c.Hash ?? c.Rejection?.Reason ?? "").Append('\t');
            foreach (var (k, v) in c.Image.Extra ?? new Dictionary<string, string>())
                text.Append(k).Append('=').Append(v).Append(';');
            text.Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static IngestResult Existing(string output, string sourceHash)
    {
        var manifestPath = Path.Combine(output, DatasetManifest.FileName);
        var qcPath = Path.Combine(output, QcReport.JsonFileName);
        DatasetManifest? manifest = null;
        try
        {
            if (File.Exists(manifestPath)) manifest = ManifestJson.Deserialize(File.ReadAllText(manifestPath));
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
        }
        if (manifest is null || manifest.SourceHash != sourceHash || !File.Exists(qcPath))
            throw new DataSourceException($"--out: '{output}' already exists and was not made from this source with these options; refusing to overwrite it (remove it or choose another folder)");
        return new IngestResult(manifest, QcReport.FromJson(File.ReadAllText(qcPath)), UpToDate: true);
    }
}
