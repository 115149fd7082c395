using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Cli.Commands;

/// <summary>Checks, before any work, that a folder to create (or fill) can be written, so a long run does not end in
/// a missing temporary file or a raw I/O error.</summary>
public static class OutputFolder
{
    /// <exception cref="InvalidInputException">The folder's parent cannot be created or written.</exception>
    public static void EnsureWritable(string folder, string option)
    {
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full) ?? full;
        try
        {
            Directory.CreateDirectory(parent);
            using (File.Create(Path.Combine(parent, $".orchestrator-write-check-{Guid.NewGuid():N}"), 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            var reason = ex switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => "not a writable folder",
                _ => ex.Message,
            };
            throw new InvalidInputException($"{option}: cannot write into {parent} ({reason}); nothing was written");
        }
    }
}
