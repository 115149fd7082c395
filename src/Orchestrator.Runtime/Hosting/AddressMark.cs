namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// A file per node address on this box (<c>.orchestrator/nodes/HOST_PORT.alive</c>), touched every second while a
/// node at that address runs and deleted when it stops. A process started at the address after a crash finds the
/// file of the crashed one and waits until the cluster has removed that incarnation before it makes contact: a peer
/// that still counted the old incarnation a member when the new one reached it failed to associate with the new one,
/// in both directions, and its resolver then downed them (TopologyHealingTests, docs/runtime.md).
/// </summary>
public sealed class AddressMark : IAsyncDisposable
{
    private static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(1);
    private readonly Timer _timer;

    private AddressMark(string path)
    {
        FilePath = path;
        Touch();
        _timer = new Timer(_ => Touch(), null, TouchEvery, TouchEvery);
    }

    public string FilePath { get; }

    /// <summary>The mark of <paramref name="host"/>:<paramref name="port"/> in <paramref name="directory"/>.</summary>
    public static string PathFor(string directory, string host, int port) =>
        Path.Combine(directory, $"{string.Concat(host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? c : '_'))}_{port}.alive");

    public static string DefaultDirectory => Path.GetFullPath(Path.Combine(".orchestrator", "nodes"));

    /// <summary>How long a node must still wait before it makes contact: until <paramref name="removal"/> after the
    /// last sign of life of a predecessor that left its mark (<paramref name="lastTouched"/>, null: none did), and
    /// never longer than <paramref name="removal"/> (a mark dated in the future, after the clock was set back).</summary>
    public static TimeSpan WaitBeforeJoin(DateTime? lastTouched, DateTime now, TimeSpan removal)
    {
        if (lastTouched is null) return TimeSpan.Zero;
        var left = lastTouched.Value + removal - now;
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > removal ? removal : left;
    }

    /// <summary>When the mark at <paramref name="path"/> was last touched; null when there is none.</summary>
    public static DateTime? LastTouched(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : null;

    /// <summary>Makes (or takes over) the mark at <paramref name="path"/> and keeps it touched until disposed.</summary>
    public static AddressMark Hold(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return new AddressMark(path);
    }

    private void Touch()
    {
        try
        {
            if (!File.Exists(FilePath)) File.WriteAllText(FilePath, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.SetLastWriteTimeUtc(FilePath, DateTime.UtcNow);
        }
        catch (IOException)
        {
            // A full or read-only disk: the mark only shortens a later restart's wait, nothing depends on it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _timer.DisposeAsync().ConfigureAwait(false);
        try { File.Delete(FilePath); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
