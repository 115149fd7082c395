using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Data;

public static class Splits
{
    public const string Train = "train";
    public const string Validation = "val";
    public const string Test = "test";
}

/// <summary>
/// One image of a packed dataset: its row in images.u8, its class index, patient and split. <c>Extra</c> holds a CSV
/// source's columns beyond path, label and patient_id.
/// </summary>
public sealed record ManifestItem(
    int Index, int Label, string Patient, string Split, string Source,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Extra = null);

/// <summary>How an ingested dataset was made (absent for synthetic sets): enough to explain and to redo it.</summary>
public sealed record IngestProvenance(
    string Source,
    string Layout,
    string PatientIds,
    string Split,
    int Seed,
    string Intensity,
    int Accepted,
    IReadOnlyDictionary<string, int> Rejected);

/// <summary>
/// manifest.json of a packed dataset (format version 1). The pixels live in <c>Images</c> (a file next to the
/// manifest): Count x Height x Width uint8, row-major, image after image, read by memory map.
/// </summary>
public sealed record DatasetManifest(
    string Format,
    int Version,
    bool Synthetic,
    int Height,
    int Width,
    string Images,
    IReadOnlyList<string> Classes,
    IReadOnlyList<ManifestItem> Items,
    string SourceHash,
    string CreatedBy,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IngestProvenance? Provenance = null)
{
    public const string FormatName = "orchestrator-packed";
    public const int CurrentVersion = 1;
    public const string FileName = "manifest.json";
}
