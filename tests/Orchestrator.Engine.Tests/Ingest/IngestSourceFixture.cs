using System.Text.Json;

namespace Orchestrator.Engine.Tests.Ingest;

/// <summary>
/// A small real-file source written by make_source.py (Pillow + numpy): PNG 8/16 bit and JPEG images in a folder
/// layout and a CSV, broken files, and the pixels each good image must become, computed without OpenCV.
/// </summary>
internal sealed class IngestSourceFixture : IDisposable
{
    public const int Size = 32;
    private readonly TempDir _dir = new();

    public IngestSourceFixture()
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Ingest", "make_source.py");
        var (code, output) = ReferencePython.Run($"\"{script}\" \"{_dir.Path}\" {Size}", TimeSpan.FromMinutes(2));
        if (code != 0) throw new InvalidOperationException($"make_source.py failed ({code}): {output}");
        Tolerance = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(_dir.Path, "expected", "tolerance.json")))!;
    }

    public string Root => _dir.Path;
    public string Folder => Path.Combine(_dir.Path, "folder");
    public string Csv => Path.Combine(_dir.Path, "source.csv");
    public string Output(string name) => Path.Combine(_dir.Path, "out", name);

    /// <summary>Largest allowed pixel difference per good image (relative to the folder root).</summary>
    public IReadOnlyDictionary<string, int> Tolerance { get; }

    public byte[] Expected(string relative) => File.ReadAllBytes(Path.Combine(_dir.Path, "expected", relative + ".u8"));

    public void Dispose() => _dir.Dispose();
}
