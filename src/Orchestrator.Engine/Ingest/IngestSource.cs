using Orchestrator.Domain.Data.Ingest;

namespace Orchestrator.Engine.Ingest;

/// <summary>
/// The images a source names. <see cref="Root"/> is what relative paths are relative to; <see cref="ClassFolders"/>
/// lists a folder source's class folders (empty for a CSV); <see cref="Outside"/> are files a folder source holds
/// outside any class folder.
/// </summary>
public sealed record IngestSource(
    string Root, string Layout, IReadOnlyList<SourceImage> Images, IReadOnlyList<string> ClassFolders, IReadOnlyList<string> Outside)
{
    public const string FolderLayout = "folder";
    public const string CsvLayout = "csv";

    /// <summary>Reads a folder (one subfolder per class, searched recursively) or a CSV manifest.</summary>
    public static IngestSource Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            var images = CsvSource.Parse(File.ReadAllText(path), path);
            return new IngestSource(Path.GetDirectoryName(Path.GetFullPath(path))!, CsvLayout, images, [], []);
        }
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"--source: '{path}' does not exist (give a folder with one subfolder per class, or a CSV file)");

        var root = Path.GetFullPath(path);
        var folders = Directory.EnumerateDirectories(root).Where(d => !IsHidden(d))
            .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        if (folders.Length == 0)
            throw new DataSourceException($"--source: '{path}' has no class subfolders (expected one folder per class)");
        var list = new List<SourceImage>();
        foreach (var folder in folders)
        {
            var files = Files(Path.Combine(root, folder)).ToArray();
            if (files.Length == 0)
                throw new DataSourceException($"--source: class folder '{folder}' is empty");
            list.AddRange(files.Select(f => new SourceImage(Relative(root, f), folder, null, 0)));
        }
        var outside = Directory.EnumerateFiles(root).Where(f => !IsHidden(f)).Select(f => Relative(root, f))
            .Order(StringComparer.Ordinal).ToArray();
        return new IngestSource(root, FolderLayout, list, folders, outside);
    }

    /// <summary>The full path of a source image.</summary>
    public string FullPath(SourceImage image) => Path.GetFullPath(image.Path, Root);

    private static IEnumerable<string> Files(string dir) =>
        Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
            .Order(StringComparer.Ordinal);

    private static bool IsHidden(string path) => Path.GetFileName(path).StartsWith('.');

    private static string Relative(string root, string file) => Path.GetRelativePath(root, file).Replace('\\', '/');
}
