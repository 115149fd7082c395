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
/// Its replay reads the plugin's query straight into the recovery (<see cref="ReplayMessagesAsync"/>).
/// </summary>
public sealed class SqlJournal : SqlWriteJournal
{
    // SQLITE_CONSTRAINT_UNIQUE
    private const int SqliteUniqueViolation = 2067;
    private const string PostgresUniqueViolation = "23505";

    private readonly AkkaPersistenceDataConnectionFactory _connections;
    private readonly int _replayBatchSize;
    private readonly Akka.Serialization.Serialization _serialization;

    public SqlJournal(Config journalConfig) : base(journalConfig)
    {
        var config = new JournalConfig(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration));
        _connections = new AkkaPersistenceDataConnectionFactory(config);
        _replayBatchSize = config.DaoConfig.ReplayBatchSize;
        _serialization = Context.System.Serialization;
    }

    /// <summary>The plugin's query, in pages of replay-batch-size, read straight into the callback: the plugin's own
    /// replay runs it in a transaction and through Akka streams materialized for each recovery, which cost a trial's
    /// recovery of a few dozen events more than its events did.</summary>
    public override async Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        Action<IPersistentRepresentation> recoveryCallback)
    {
        var from = Math.Max(1, fromSequenceNr);
        await using var connection = _connections.GetConnection();
        while (max > 0 && from <= toSequenceNr)
        {
            var take = (int)Math.Min(max, _replayBatchSize);
            var rows = await AsyncExtensions.ToListAsync(connection.GetTable<JournalRow>()
                .Where(r => r.PersistenceId == persistenceId && r.SequenceNumber >= from && r.SequenceNumber <= toSequenceNr && !r.Deleted)
                .OrderBy(r => r.SequenceNumber)
                .Take(take)).ConfigureAwait(false);
            foreach (var row in rows)
            {
                var identifier = row.Identifier ?? throw new InvalidDataException(
                    $"{persistenceId}: event {row.SequenceNumber} names no serializer");
                recoveryCallback(new Persistent(_serialization.Deserialize(row.Message, identifier, row.Manifest), row.SequenceNumber,
                    row.PersistenceId, row.EventManifest ?? row.Manifest, row.Deleted, ActorRefs.NoSender, row.WriterUuid, row.Timestamp));
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
        return write.Result.Task;
    }

    protected override bool ReceivePluginInternal(object message)
    {
        if (message is not Write again) return base.ReceivePluginInternal(message);
        Start(again);
        return true;
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

    private sealed record Write(List<AtomicWrite> Messages, CancellationToken Token)
    {
        public TaskCompletionSource<IImmutableList<Exception>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
