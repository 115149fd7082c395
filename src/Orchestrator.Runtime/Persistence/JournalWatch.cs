using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Persistence.Query;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Journal.Types;
using Akka.Persistence.Sql.Query;
using Akka.Streams;
using Akka.Streams.Dsl;
using LinqToDB.Async;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// Live watches of journals, for readers that show them as they grow (the dashboard). Each watched persistence id has
/// one Akka.Persistence.Query live query (<c>EventsByPersistenceId</c> of the SQL read journal, from the end of the
/// journal as it was when the watch began), shared by all its watchers and stopped with the last of them; an event
/// journaled under it, by whichever process writes the store, wakes every watcher. A query that fails (the database
/// down) is dropped without waking anyone; the next <see cref="JournalChanges.Follow"/> of its id starts it again.
/// </summary>
public sealed class JournalWatch : IDisposable
{
    private readonly SqlReadJournal _journal;
    private readonly IMaterializer _materializer;
    private readonly Lazy<AkkaPersistenceDataConnectionFactory> _connections;
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    public JournalWatch(ActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        _journal = PersistenceQuery.Get(system).ReadJournalFor<SqlReadJournal>(SqlReadJournal.Identifier);
        _materializer = system.Materializer(namePrefix: "journal-watch");
        var config = system.Settings.Config.GetConfig(JournalSettings.JournalPlugin).WithFallback(SqlPersistence.DefaultJournalConfiguration);
        _connections = new Lazy<AkkaPersistenceDataConnectionFactory>(() => new AkkaPersistenceDataConnectionFactory(new JournalConfig(config)));
    }

    /// <summary>The live queries running now: one per persistence id some watcher follows.</summary>
    public int LiveQueries
    {
        get
        {
            lock (_lock) return _feeds.Count;
        }
    }

    /// <summary>A new watcher, following nothing yet. Dispose it to stop following.</summary>
    public JournalChanges Watch() => new(this);

    /// <summary>Stops every live query (the process is stopping); watchers are left waiting for their own timeouts.</summary>
    public void Dispose()
    {
        List<Feed> feeds;
        lock (_lock)
        {
            _disposed = true;
            feeds = [.. _feeds.Values];
            _feeds.Clear();
        }
        foreach (var feed in feeds) feed.Stop();
    }

    internal void Attach(string persistenceId, JournalChanges watcher)
    {
        Feed? started = null;
        lock (_lock)
        {
            if (_disposed) return;
            if (!_feeds.TryGetValue(persistenceId, out var feed))
            {
                _feeds[persistenceId] = started = feed = new Feed(persistenceId);
            }
            feed.Watchers.Add(watcher);
        }
        if (started is not null) _ = RunAsync(started);
    }

    internal void Release(string persistenceId, JournalChanges watcher)
    {
        Feed? stopped = null;
        lock (_lock)
        {
            if (!_feeds.TryGetValue(persistenceId, out var feed) || !feed.Watchers.Remove(watcher) || feed.Watchers.Count > 0) return;
            _feeds.Remove(persistenceId);
            stopped = feed;
        }
        stopped.Stop();
    }

    /// <summary>Finds where the journal ends, then follows it from there until stopped or failed.</summary>
    private async Task RunAsync(Feed feed)
    {
        try
        {
            var from = await HighestAsync(feed.PersistenceId, feed.Stopping.Token).ConfigureAwait(false) + 1;
            var (kill, done) = _journal.EventsByPersistenceId(feed.PersistenceId, from, long.MaxValue)
                .ViaMaterialized(KillSwitches.Single<EventEnvelope>(), Keep.Right)
                .ToMaterialized(Sink.ForEach<EventEnvelope>(_ => Wake(feed)), Keep.Both)
                .Run(_materializer);
            await using (feed.Stopping.Token.Register(kill.Shutdown))
                await done.ConfigureAwait(false);
        }
        catch (Exception) when (feed.Stopping.IsCancellationRequested)
        {
            // Stopped while it looked up the journal's end.
        }
        catch (Exception)
        {
            // The database down, or the query failed: dropped below; the next Follow of the id starts it again.
        }
        finally
        {
            lock (_lock)
            {
                if (_feeds.TryGetValue(feed.PersistenceId, out var current) && current == feed) _feeds.Remove(feed.PersistenceId);
            }
            feed.Stopping.Dispose();
        }
    }

    private void Wake(Feed feed)
    {
        JournalChanges[] watchers;
        lock (_lock) watchers = [.. feed.Watchers];
        foreach (var watcher in watchers) watcher.Wake();
    }

    /// <summary>The highest sequence number journaled under the id (0: none), as the journal itself reads it.</summary>
    private async Task<long> HighestAsync(string persistenceId, CancellationToken ct)
    {
        await using var connection = _connections.Value.GetConnection();
        return await AsyncExtensions.MaxAsync(connection.GetTable<JournalRow>().Where(r => r.PersistenceId == persistenceId)
            .Select(r => (long?)r.SequenceNumber), ct).ConfigureAwait(false) ?? 0;
    }

    private sealed class Feed(string persistenceId)
    {
        public string PersistenceId { get; } = persistenceId;

        public HashSet<JournalChanges> Watchers { get; } = [];

        public CancellationTokenSource Stopping { get; } = new();

        public void Stop()
        {
            try
            {
                Stopping.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Ended already.
            }
        }
    }
}

/// <summary>One watcher of <see cref="JournalWatch"/>: the persistence ids it follows, and a wake-up that holds at most
/// one pending change (any number of events between two waits wake it once). One caller at a time.</summary>
public sealed class JournalChanges : IDisposable
{
    private readonly JournalWatch _watch;
    private readonly Channel<bool> _woken = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly HashSet<string> _followed = new(StringComparer.Ordinal);

    internal JournalChanges(JournalWatch watch) => _watch = watch;

    /// <summary>Follows exactly these persistence ids from now on (those no longer named are let go). Following an id
    /// already followed again restarts its query if that failed.</summary>
    public void Follow(IEnumerable<string> persistenceIds)
    {
        ArgumentNullException.ThrowIfNull(persistenceIds);
        var wanted = new HashSet<string>(persistenceIds, StringComparer.Ordinal);
        foreach (var gone in _followed.Where(id => !wanted.Contains(id)).ToList())
        {
            _followed.Remove(gone);
            _watch.Release(gone, this);
        }
        foreach (var id in wanted)
        {
            _followed.Add(id);
            _watch.Attach(id, this);
        }
    }

    /// <summary>True when an event was journaled under a followed id since the last wait; false after
    /// <paramref name="timeout"/> without one.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (_woken.Reader.TryRead(out _)) return true;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await _woken.Reader.ReadAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    internal void Wake() => _woken.Writer.TryWrite(true);

    public void Dispose() => Follow([]);
}
