using System.Security.Cryptography;
using Orchestrator.Domain.Data;
using Orchestrator.Files;

namespace Orchestrator.Engine.Datasets;

/// <summary>
/// Writes a packed dataset (manifest.json + images.u8) all or nothing: everything goes into a sibling directory
/// <c>DIR.tmp-&lt;random&gt;</c>, is fsynced, and only then renamed to DIR, so DIR either does not exist or is
/// complete. An existing DIR is never touched. Disposing without <see cref="Commit"/> removes the temporary directory.
/// </summary>
public sealed class PackedDatasetWriter : IDisposable
{
    public const string ImagesFileName = "images.u8";

    private readonly FileStream _images;
    private bool _finished;

    private PackedDatasetWriter(string directory, string tempDirectory, int height, int width, FileStream images)
    {
        Directory = directory;
        TempDirectory = tempDirectory;
        Height = height;
        Width = width;
        _images = images;
    }

    /// <summary>The final directory, a full path.</summary>
    public string Directory { get; }

    /// <summary>Where the files are written until <see cref="Commit"/>.</summary>
    public string TempDirectory { get; }

    public int Height { get; }
    public int Width { get; }

    /// <summary>Images appended so far.</summary>
    public int Count { get; private set; }

    /// <summary>Starts a dataset in <paramref name="directory"/>; throws <see cref="IOException"/> if it already exists.</summary>
    public static PackedDatasetWriter Create(string directory, int height, int width)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (System.IO.Directory.Exists(full) || File.Exists(full)) throw DurableFileSystem.AlreadyExists(full);
        var parent = Path.GetDirectoryName(full) ?? throw new IOException($"'{full}' has no parent directory");
        System.IO.Directory.CreateDirectory(parent);

        var temp = $"{full}.tmp-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}";
        System.IO.Directory.CreateDirectory(temp);
        try
        {
            var images = new FileStream(Path.Combine(temp, ImagesFileName), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, bufferSize: 1 << 20);
            return new PackedDatasetWriter(full, temp, height, width, images);
        }
        catch
        {
            System.IO.Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>Writes a whole dataset at once: <paramref name="pixels"/> holds every image, in manifest order.</summary>
    public static DatasetManifest Write(string directory, DatasetManifest manifest, ReadOnlySpan<byte> pixels)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        using var writer = Create(directory, manifest.Height, manifest.Width);
        writer.Append(pixels);
        return writer.Commit(manifest);
    }

    /// <summary>Appends whole images (a multiple of Height x Width bytes, row-major).</summary>
    public void Append(ReadOnlySpan<byte> images)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var imageBytes = (long)Height * Width;
        if (images.Length % imageBytes != 0)
            throw new ArgumentException($"{images.Length} bytes is not a whole number of {Height}x{Width} images", nameof(images));
        _images.Write(images);
        Count += (int)(images.Length / imageBytes);
    }

    /// <summary>Adds a small side file (e.g. a report) to the dataset; it becomes visible with the dataset at <see cref="Commit"/>.</summary>
    public void WriteFile(string name, string text)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        if (name != Path.GetFileName(name) || name is DatasetManifest.FileName or ImagesFileName)
            throw new ArgumentException($"'{name}' is not a valid side file name", nameof(name));
        using var stream = new FileStream(Path.Combine(TempDirectory, name), FileMode.CreateNew, FileAccess.Write, FileShare.None);
        using (var writer = new StreamWriter(stream, leaveOpen: true))
            writer.Write(text);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Checks <paramref name="manifest"/> against what was appended, writes manifest.json, makes both files and the
    /// rename durable and moves the dataset into place. On failure nothing is left behind and DIR is untouched.
    /// </summary>
    public DatasetManifest Commit(DatasetManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ObjectDisposedException.ThrowIf(_finished, this);
        try
        {
            Validate(manifest);
            _images.Flush(flushToDisk: true);
            _images.Dispose();

            using (var stream = new FileStream(Path.Combine(TempDirectory, DatasetManifest.FileName), FileMode.CreateNew,
                       FileAccess.Write, FileShare.None))
            {
                using (var text = new StreamWriter(stream, leaveOpen: true))
                    text.Write(ManifestJson.Serialize(manifest));
                stream.Flush(flushToDisk: true);
            }

            DurableFileSystem.FsyncDirectory(TempDirectory);
            DurableFileSystem.MoveDirectoryNoReplace(TempDirectory, Directory);
            _finished = true;
            DurableFileSystem.FsyncDirectory(Path.GetDirectoryName(Directory)!);
            return manifest;
        }
        finally
        {
            Dispose();
        }
    }

    /// <summary>Abandons an uncommitted dataset, removing its temporary directory.</summary>
    public void Dispose()
    {
        _images.Dispose();
        if (_finished) return;
        _finished = true;
        try
        {
            System.IO.Directory.Delete(TempDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private void Validate(DatasetManifest manifest)
    {
        if (manifest.Format != DatasetManifest.FormatName || manifest.Version != DatasetManifest.CurrentVersion)
            throw new ArgumentException($"manifest must be {DatasetManifest.FormatName} version {DatasetManifest.CurrentVersion}", nameof(manifest));
        if (manifest.Height != Height || manifest.Width != Width)
            throw new ArgumentException($"manifest says {manifest.Height}x{manifest.Width}, images are {Height}x{Width}", nameof(manifest));
        if (manifest.Images != ImagesFileName)
            throw new ArgumentException($"manifest.images must be '{ImagesFileName}', not '{manifest.Images}'", nameof(manifest));
        if (manifest.Items.Count != Count)
            throw new ArgumentException($"manifest lists {manifest.Items.Count} items but {Count} images were written", nameof(manifest));
        if (manifest.Classes.Count == 0)
            throw new ArgumentException("manifest lists no classes", nameof(manifest));
        for (var i = 0; i < manifest.Items.Count; i++)
        {
            var item = manifest.Items[i];
            if (item.Index != i)
                throw new ArgumentException($"item {i} has index {item.Index}; items must be in file order", nameof(manifest));
            if ((uint)item.Label >= (uint)manifest.Classes.Count)
                throw new ArgumentException($"item {i} has label {item.Label}, outside the {manifest.Classes.Count} classes", nameof(manifest));
            if (item.Split is not (Splits.Train or Splits.Validation or Splits.Test))
                throw new ArgumentException($"item {i} has split '{item.Split}'", nameof(manifest));
            if (string.IsNullOrEmpty(item.Patient))
                throw new ArgumentException($"item {i} has no patient", nameof(manifest));
        }
    }
}
