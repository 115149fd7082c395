using System.Diagnostics;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// The pure part of <see cref="PauseWatch"/>: ticks in <see cref="Stopwatch"/> timestamps, and whether the process
/// stood still (no tick for longer than the limit) after a given moment, or stands still now.
/// </summary>
public sealed class PauseLog(TimeSpan limit, long startedAt)
{
    private readonly long _limit = (long)(limit.TotalSeconds * Stopwatch.Frequency);
    private long _lastTick = startedAt;
    private long _lastPauseEnd = long.MinValue;

    /// <summary>A tick at <paramref name="now"/>; true when the gap since the last one was a pause.</summary>
    public bool Tick(long now)
    {
        var last = Interlocked.Exchange(ref _lastTick, now);
        if (now - last <= _limit) return false;
        Interlocked.Exchange(ref _lastPauseEnd, now);
        return true;
    }

    /// <summary>Whether a pause ended after <paramref name="since"/>, or one is under way at <paramref name="now"/> (the
    /// ticks have not resumed yet: this thread is the first to run after it).</summary>
    public bool PausedSince(long since, long now) =>
        now - Interlocked.Read(ref _lastTick) > _limit || Interlocked.Read(ref _lastPauseEnd) > since;

    /// <summary>Whether a pause ended less than the limit before <paramref name="received"/>, or after it: a message
    /// received just after a thaw may have been sent while the process stood still (it waited in the socket), by a
    /// sender that has since given up on this node.</summary>
    public bool PausedAround(long received, long now) => PausedSince(received - _limit, now);
}

/// <summary>
/// Watches the whole process for pauses (SIGSTOP, a stalled VM, a long GC): a thread of its own ticks ten times a
/// second. A pause longer than the limit (set below the earliest moment the other nodes could have downed this one:
/// the failure detector's acceptable pause plus half the resolver's stable-after) means the cluster may have given this
/// node's trials to other nodes meanwhile: a trial checks it before each epoch and commit and stops, handing itself
/// back, rather than train on beside a newer attempt. <see cref="NextPause"/> is cancelled by the next pause.
/// </summary>
public sealed class PauseWatch : IDisposable
{
    private static readonly TimeSpan TickEvery = TimeSpan.FromMilliseconds(100);
    private readonly PauseLog _log;
    private readonly Thread _thread;
    private CancellationTokenSource _next = new();
    private volatile bool _disposed;

    public PauseWatch(TimeSpan limit)
    {
        Limit = limit;
        _log = new PauseLog(limit, Stopwatch.GetTimestamp());
        _thread = new Thread(Run) { IsBackground = true, Name = "pause-watch" };
        _thread.Start();
    }

    public TimeSpan Limit { get; }

    /// <summary>Cancelled when the next pause is seen.</summary>
    public CancellationToken NextPause => Volatile.Read(ref _next).Token;

    public bool PausedSince(long since) => _log.PausedSince(since, Stopwatch.GetTimestamp());

    /// <summary>See <see cref="PauseLog.PausedAround"/>.</summary>
    public bool PausedAround(long received) => _log.PausedAround(received, Stopwatch.GetTimestamp());

    private void Run()
    {
        while (!_disposed)
        {
            Thread.Sleep(TickEvery);
            if (!_log.Tick(Stopwatch.GetTimestamp())) continue;
            // Not disposed: a trial may be linking its token to it right now.
            Interlocked.Exchange(ref _next, new CancellationTokenSource()).Cancel();
        }
    }

    public void Dispose() => _disposed = true;
}

/// <summary>The process stood still long enough for the cluster to have given its trial to another node.</summary>
public sealed class NodePausedException(string message) : Exception(message);
