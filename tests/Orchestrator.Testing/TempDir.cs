namespace Orchestrator.Testing;

/// <summary>A folder of a test's own under the system temp folder, deleted with everything in it on dispose (a leftover
/// that cannot be deleted is not worth failing a test over).</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "orch-test-") => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> in this folder.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
