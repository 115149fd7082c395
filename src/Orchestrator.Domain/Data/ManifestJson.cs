using System.Text.Json;

namespace Orchestrator.Domain.Data;

/// <summary>The one JSON shape of manifest.json (camelCase), shared by writers and readers.</summary>
public static class ManifestJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Serialize(DatasetManifest manifest) => JsonSerializer.Serialize(manifest, Options);

    public static DatasetManifest Deserialize(string json)
    {
        var manifest = JsonSerializer.Deserialize<DatasetManifest>(json, Options)
            ?? throw new InvalidDataException("manifest.json is empty");
        if (manifest.Format != DatasetManifest.FormatName || manifest.Version != DatasetManifest.CurrentVersion)
            throw new InvalidDataException($"manifest.json: unsupported format '{manifest.Format}' version {manifest.Version}");
        return manifest;
    }
}
