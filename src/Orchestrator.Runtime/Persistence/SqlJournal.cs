using System.Collections.Immutable;
using System.Data.Common;
using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using Akka.Persistence.Sql.Db;
using Akka.Persistence.Sql.Journal;
using Akka.Persistence.Sql.Journal.Types;
using LinqToDB.Async;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Runtime.Persistence;

/// <summary>
/// The journal plugin of trials and of the coordinator: Akka.Persistence.Sql's, with two changes.
/// Its writes fail on the (persistence id, sequence number) key only when one of their own sequence numbers is taken.
/// The plugin writes the writes that queued while others were in flight, of any actors, in one transaction, and fails
/// every one of them when that transaction fails: a fenced write (a stale writer's, which the design treats as normal)
/// would fail the other actors' writes of its batch. A write that failed on the key is looked up: when none of its
/// sequence numbers is taken, it was another write's failure, and it is written again (its batch was rolled back);
/// otherwise it fails as before.
/// A recovery reads its highest sequence number and its events with plain ADO.NET commands
/// (<see cref="JournalRecoveryReads"/>), the events straight into the recovery: the plugin runs them through its LINQ
/// layer, the replay also in a transaction and through Akka streams materialized for each recovery, which cost a
/// trial's recovery of a few dozen events more than its events did.
/// </summary>
public sealed class SqlJournal : SqlWriteJournal
{
    // SQLITE_CONSTRAINT_UNIQUE
    private const int SqliteUniqueViolation = 2067;
    private const string PostgresUniqueViolation = "23505";

    private readonly AkkaPersistenceDataConnectionFactory _connections;
    private readonly JournalRecoveryReads _reads;
    private readonly int _replayBatchSize;
    private readonly Akka.Serialization.Serialization _serialization;

    /// <summary>Each id's latest write under way (on the actor's thread): a recovery of the id reads its highest number
    /// only after that write has ended, as the plugin's own read does.</summary>
    private readonly Dictionary<string, Task> _writesUnderWay = [];

    public SqlJournal(Config journalConfig) : base(journalConfig)
    {
        var config = new JournalConfig(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        _connections = new AkkaPersistenceDataConnectionFactory(config);
        _reads = new JournalRecoveryReads(config);
        _replayBatchSize = config.DaoConfig.ReplayBatchSize;
        _serialization = Context.System.Serialization;
    }

    /// <summary>Called on the actor's thread (the base journal asks before its first await), which the map of writes
    /// under way needs.</summary>
    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken) =>
        _writesUnderWay.TryGetValue(persistenceId, out var write)
            ? HighestAfterAsync(write, persistenceId, fromSequenceNr, cancellationToken)
            : _reads.HighestAsync(persistenceId, fromSequenceNr, cancellationToken);

    private async Task<long> HighestAfterAsync(Task write, string persistenceId, long fromSequenceNr, CancellationToken ct)
    {
        // Whether it succeeded or failed does not matter here: only that it has ended.
        await write.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        return await _reads.HighestAsync(persistenceId, fromSequenceNr, ct).ConfigureAwait(false);
    }

    /// <summary>The events in pages of replay-batch-size, read straight into the callback.</summary>
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var from = Math.Max(1, fromSequenceNr);
        while (max > 0 && from <= toSequenceNr)
        {
            var take = (int)Math.Min(max, _replayBatchSize);
            var rows = await _reads.PageAsync(persistenceId, from, toSequenceNr, take, CancellationToken.None).ConfigureAwait(false);
            foreach (var row in rows)
            {
                var identifier = row.Identifier ?? throw new InvalidDataException(
                    $"{persistenceId}: event {row.SequenceNumber} names no serializer");
                recoveryCallback(new Persistent(_serialization.Deserialize(row.Message, identifier, row.Manifest), row.SequenceNumber,
                    persistenceId, row.Manifest, false, ActorRefs.NoSender, row.WriterUuid, row.Timestamp));
            }
            if (rows.Count < take) return;
            max -= rows.Count;
            from = rows[^1].SequenceNumber + 1;
        }
    }

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var write = new Write(messages.ToList(), cancellationToken);
        Start(write);
        var id = write.Messages[0].PersistenceId;
        var written = write.Result.Task;
        _writesUnderWay[id] = written;
        var self = Self;
        written.ContinueWith(_ => self.Tell(new WriteEnded(id, written)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return written;
    }

    protected override bool ReceivePluginInternal(object message)
    {
        switch (message)
        {
            case Write again:
                Start(again);
                return true;
            case WriteEnded ended:
                if (_writesUnderWay.TryGetValue(ended.PersistenceId, out var latest) && latest == ended.Write)
                    _writesUnderWay.Remove(ended.PersistenceId);
                return true;
            default:
                return base.ReceivePluginInternal(message);
        }
    }

    /// <summary>On the actor's thread, as the base journal requires.</summary>
    private void Start(Write write)
    {
        var self = Self;
        base.WriteMessagesAsync(write.Messages, write.Token).ContinueWith(async attempt =>
        {
            if (attempt.IsCompletedSuccessfully)
                write.Result.TrySetResult(attempt.Result);
            else if (attempt.IsCanceled)
                write.Result.TrySetCanceled(write.Token);
            else if (attempt.Exception!.InnerException is { } cause && IsUniqueViolation(cause) && !await TakenAsync(write).ConfigureAwait(false))
                self.Tell(write);
            else
                write.Result.TrySetException(attempt.Exception!.InnerExceptions);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private static bool IsUniqueViolation(Exception e) => e switch
    {
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode == SqliteUniqueViolation,
        DbException db => db.SqlState == PostgresUniqueViolation,
        _ => false,
    };

    /// <summary>Whether a row holds one of the write's sequence numbers (one persistence id per write). When the
    /// database cannot say, the write is taken as fenced: it fails, as it did.</summary>
    private async Task<bool> TakenAsync(Write write)
    {
        var id = write.Messages[0].PersistenceId;
        var low = write.Messages.Min(w => w.LowestSequenceNr);
        var high = write.Messages.Max(w => w.HighestSequenceNr);
        try
        {
            await using var connection = _connections.GetConnection();
            var rows = connection.GetTable<JournalRow>().Where(r => r.PersistenceId == id && r.SequenceNumber >= low && r.SequenceNumber <= high);
            return await AsyncExtensions.AnyAsync(rows, write.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Whatever the look-up failed on: the write must still be answered, so it fails as it did.
            return true;
        }
    }

    private sealed record WriteEnded(string PersistenceId, Task Write);

    private sealed record Write(List<AtomicWrite> Messages, CancellationToken Token)
    {
        public TaskCompletionSource<IImmutableList<Exception>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
