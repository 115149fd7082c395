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
/// Akka.Persistence.Sql's journal, whose writes fail on the (persistence id, sequence number) key only when one of
/// their own sequence numbers is taken. The plugin writes the writes that queued while others were in flight, of any
/// actors, in one transaction, and fails every one of them when that transaction fails: a fenced write (a stale
/// writer's, which the design treats as normal) would fail the other actors' writes of its batch. A write that failed
/// on the key is looked up: when none of its sequence numbers is taken, it was another write's failure, and it is
/// written again (its batch was rolled back); otherwise it fails as before.
/// </summary>
public sealed class FencedWriteJournal : SqlWriteJournal
{
    // SQLITE_CONSTRAINT_UNIQUE
    private const int SqliteUniqueViolation = 2067;
    private const string PostgresUniqueViolation = "23505";

    private readonly AkkaPersistenceDataConnectionFactory _connections;

    public FencedWriteJournal(Config journalConfig) : base(journalConfig) =>
        _connections = new AkkaPersistenceDataConnectionFactory(
            new JournalConfig(journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration)));

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
        catch (Exception e) when (e is DbException or OperationCanceledException)
        {
            return true;
        }
    }

    private sealed record Write(List<AtomicWrite> Messages, CancellationToken Token)
    {
        public TaskCompletionSource<IImmutableList<Exception>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
