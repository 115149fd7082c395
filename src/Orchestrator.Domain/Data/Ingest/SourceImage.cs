namespace Orchestrator.Domain.Data.Ingest;

/// <summary>
/// One image a source names: its path relative to the source root ('/'-separated), its label as written, its patient
/// id when the source has one, where it was named (CSV line; 0 for a folder), and a CSV row's extra columns.
/// </summary>
public sealed record SourceImage(
    string Path, string Label, string? Patient, int Line, IReadOnlyDictionary<string, string>? Extra = null);
