using System.Runtime.InteropServices;

namespace Orchestrator.Files;

/// <summary>The two POSIX calls .NET does not expose: fsync of a directory, and a rename that never replaces; and
/// fsync of a file, for symmetry. Datasets, model exports and trial checkpoints use them before anything points at their files.</summary>
public static partial class DurableFileSystem
{
    private const int AtFdCwd = -100;
    private const uint RenameNoReplace = 1;
    private const int EExist = 17, ENotEmpty = 39, EInval = 22, ENoSys = 38;

    /// <summary>Makes a file's content durable.</summary>
    public static void FsyncFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Makes a directory's entries (files created or renamed in it) durable; a no-op off Linux.</summary>
    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(path, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory '{path}' to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0) throw new IOException($"fsync of directory '{path}' failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Writes a file as a whole or not at all: <paramref name="write"/> fills a temporary file beside
    /// <paramref name="path"/>, which is fsynced and renamed over it, and the directory fsynced; on any failure the
    /// temporary file is removed and <paramref name="path"/> is as it was.</summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        FsyncDirectory(directory);
    }

    /// <summary>
    /// Renames directory <paramref name="from"/> to <paramref name="to"/>, failing if <paramref name="to"/> exists.
    /// On Linux renameat2(RENAME_NOREPLACE) makes the check and the rename one step; where the file system lacks
    /// it, and elsewhere, a check then <see cref="Directory.Move"/> leaves a window only against a concurrent creator.
    /// </summary>
    public static void MoveDirectoryNoReplace(string from, string to)
    {
        if (OperatingSystem.IsLinux())
        {
            if (RenameAt2(AtFdCwd, from, AtFdCwd, to, RenameNoReplace) == 0) return;
            var errno = Marshal.GetLastPInvokeError();
            if (errno is EExist or ENotEmpty) throw AlreadyExists(to);
            if (errno is not (EInval or ENoSys))
                throw new IOException($"cannot rename '{from}' to '{to}' (errno {errno})");
        }
        if (Directory.Exists(to) || File.Exists(to)) throw AlreadyExists(to);
        Directory.Move(from, to);
    }

    public static IOException AlreadyExists(string path) =>
        new($"'{path}' already exists; refusing to overwrite it (remove it or choose another path)");

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);
}
