using Akka.Actor;
using Akka.Persistence;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orchestrator.Domain.Events;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>
/// The product's journal configuration (Akka.Persistence.Sql, its HOCON and the event serializer), the same checks on
/// SQLite and on a real PostgreSQL: events go in and come back in order, a journal reads with plain SQL, the
/// (persistence id, sequence number) key refuses a second writer and no one else, and a fresh process recovers what
/// was written.
/// </summary>
public abstract class JournalConfigurationTests : IAsyncLifetime
{
    private static readonly TrialEvent[] Written =
    [
        new AttemptStarted("slot-0") { Attempt = 1 },
        new EpochCompleted(1, 1.25, 0.9, 0.5, 0.4, 0.001, 0, 0, 3.5) { Attempt = 1 },
        new BestImproved(1, 0.9, "best-e0001.pt", "ab12") { Attempt = 1 },
        new CheckpointSaved(1, "epoch-e0001.pt", "cd34") { Attempt = 1 },
    ];

    /// <summary>What a stale writer that recovered <c>Written[..2]</c> persists next.</summary>
    private static readonly EpochCompleted Late = new(2, 9, 9, 0, 0, 0.001, 0, 0, 1) { Attempt = 1 };

    protected abstract Task<string> CreateStoreUrlAsync();

    protected abstract Task<IReadOnlyList<(string Manifest, int Identifier, string Message)>> ReadRowsAsync(string persistenceId);

    protected StoreLocation Location { get; private set; } = null!;

    public async Task InitializeAsync() => Location = StoreUrl.Parse(await CreateStoreUrlAsync());

    public virtual Task DisposeAsync() => Task.CompletedTask;

    protected async Task Events_come_back_in_order_through_the_read_journal_and_read_with_plain_sql()
    {
        await using (var host = JournalReaderHost.Start(Location))
        {
            await WriteAsync(host.System, "t-read", Written);
            (await host.Journal.ReadAsync("t-read")).Select(e => (e.Seq, e.Event, e.Superseded))
                .Should().Equal(Written.Select((e, i) => ((long)i + 1, e, false)));
        }

        var rows = await ReadRowsAsync(JournalSettings.PersistenceIdOf("t-read"));
        rows.Select(r => r.Manifest).Should().Equal("AttemptStarted.v1", "EpochCompleted.v1", "BestImproved.v1", "CheckpointSaved.v1");
        rows.Should().OnlyContain(r => r.Identifier == TrialEventSerializer.Id);
        rows[1].Message.Should().Be(EventCatalog.Serialize(Written[1]).Payload, "the payload is the event's JSON, no .NET type names");
    }

    protected async Task A_second_writer_at_a_taken_sequence_number_is_refused_and_the_first_write_stays()
    {
        await using var host = JournalReaderHost.Start(Location);
        await WriteAsync(host.System, "t-race", Written[..2]);

        // A writer recovers (it sees sequence number 2 as the last), then waits; meanwhile another takes number 3.
        var gate = new TaskCompletionSource();
        var (recovered, stale) = StartWriter(host.System, JournalSettings.PersistenceIdOf("t-race"), [Late], gate.Task);
        await recovered.WaitAsync(TimeSpan.FromSeconds(20));
        await WriteAsync(host.System, "t-race", Written[2..3]);
        gate.SetResult();

        await FluentActions.Awaiting(() => stale.WaitAsync(TimeSpan.FromSeconds(30))).Should().ThrowAsync<Exception>("sequence number 3 is taken");
        (await host.Journal.ReadAsync("t-race")).Select(e => e.Event).Should().Equal(Written[..3]);
    }

    protected async Task A_fresh_process_recovers_every_event_written()
    {
        // Longer than the journal's replay batch (1,000 events): read in three queries.
        var epochs = Enumerable.Range(1, 2500).Select(e => (TrialEvent)new EpochCompleted(e, 1, 1, 0, 0, 0.001, 0, 0, 1) { Attempt = 1 }).ToList();
        await using (var writer = JournalReaderHost.Start(Location))
        {
            await WriteAsync(writer.System, "t-recover", Written);
            await WriteAsync(writer.System, "t-recover-long", epochs);
        }

        await using var reader = JournalReaderHost.Start(Location);
        (await RecoverAsync(reader.System, "t-recover")).Should().Equal(Written);
        (await RecoverAsync(reader.System, "t-recover-long")).Should().Equal(epochs);
    }

    /// <summary>The nemesis, --pruning, seed 2807 (2026-12-07): a trial ran on process A, then B, then A again (a pruning
    /// sweep's trials leave their slot at every rung). The plugin stores its journal's writer id, one per process, in
    /// each row, so Akka's replay filter took A's second run for an old writer still writing after B and dropped it:
    /// the next attempt resumed from a checkpoint already pruned, and the trial failed. Every event must come back.</summary>
    protected async Task A_trial_that_comes_back_to_a_process_it_ran_on_recovers_every_event()
    {
        var attempts = Enumerable.Range(1, 3).Select(a => (IReadOnlyList<TrialEvent>)
            [new AttemptStarted($"slot-{a}") { Attempt = a }, new EpochCompleted(a, 1, 1, 0, 0, 0.001, 0, 0, 1) { Attempt = a }]).ToList();
        await using var a = JournalReaderHost.Start(Location);
        await using (var b = JournalReaderHost.Start(Location))
        {
            await WriteAsync(a.System, "t-hop", attempts[0]);
            await WriteAsync(b.System, "t-hop", attempts[1]);
            await WriteAsync(a.System, "t-hop", attempts[2]);
        }

        await using var fresh = JournalReaderHost.Start(Location);
        (await RecoverAsync(fresh.System, "t-hop")).Should().Equal(attempts.SelectMany(e => e));
        (await RecoverAsync(a.System, "t-hop")).Should().Equal(attempts.SelectMany(e => e));
    }

    protected async Task Processes_starting_at_once_on_a_fresh_store_all_get_their_tables()
    {
        // Every process makes the tables before its plugins start: eight at once, on a database nobody used yet.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => JournalSchema.EnsureAsync(Location)))).WaitAsync(TimeSpan.FromSeconds(60));

        await using var host = JournalReaderHost.Start(Location);
        await WriteAsync(host.System, "t-fresh", Written);
        (await host.Journal.ReadAsync("t-fresh")).Select(e => e.Event).Should().Equal(Written);
    }

    protected async Task Deleted_events_are_not_replayed_and_still_count_for_the_next_number()
    {
        await using var host = JournalReaderHost.Start(Location);
        await WriteAsync(host.System, "t-deleted", Written);

        await DeleteAsync(host.System, "t-deleted", 2);
        var (events, last) = await RecoverWithNumberAsync(host.System, "t-deleted");
        events.Should().Equal(Written[2..]);
        last.Should().Be(4);

        await DeleteAsync(host.System, "t-deleted", 4);
        (events, last) = await RecoverWithNumberAsync(host.System, "t-deleted");
        events.Should().BeEmpty();
        last.Should().Be(4, "the highest number counts deleted events, so the next write takes 5");
        await WriteAsync(host.System, "t-deleted", [Late]);
        (await RecoverAsync(host.System, "t-deleted")).Should().Equal(Late);
    }

    protected async Task A_recovery_waits_for_the_write_under_way_of_its_id()
    {
        await using var host = JournalReaderHost.Start(Location);
        var epochs = Enumerable.Range(1, 300).Select(e => (TrialEvent)new EpochCompleted(e, 1, 1, 0, 0, 0.001, 0, 0, 1) { Attempt = 1 }).ToList();
        // The writer hands its events to the journal and stops at once; a new incarnation recovers while they are written.
        var writer = host.System.ActorOf(Props.Create(() => new PersistAndStop(JournalSettings.PersistenceIdOf("t-under-way"), epochs)));
        (await writer.WatchAsync().WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue();
        (await RecoverAsync(host.System, "t-under-way")).Should().Equal(epochs);
    }

    private static async Task DeleteAsync(ActorSystem system, string trialId, long toSequenceNr)
    {
        var deleted = new TaskCompletionSource();
        system.ActorOf(Props.Create(() => new Deleter(JournalSettings.PersistenceIdOf(trialId), toSequenceNr, deleted)));
        await deleted.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<IReadOnlyList<TrialEvent>> RecoverAsync(ActorSystem system, string trialId) =>
        (await RecoverWithNumberAsync(system, trialId)).Events;

    private static Task<(IReadOnlyList<TrialEvent> Events, long LastSequenceNr)> RecoverWithNumberAsync(ActorSystem system, string trialId)
    {
        var recovered = new TaskCompletionSource<(IReadOnlyList<TrialEvent>, long)>();
        system.ActorOf(Props.Create(() => new Recoverer(JournalSettings.PersistenceIdOf(trialId), recovered)));
        return recovered.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    protected async Task The_node_warm_up_writes_under_one_id_and_leaves_one_row_however_often_it_runs()
    {
        await using (var host = JournalReaderHost.Start(Location))
        {
            async Task WarmUpAsync()
            {
                var warmup = host.System.ActorOf(PersistenceWarmup.Props(write: true));
                var stopped = warmup.WatchAsync();
                await warmup.Ask<Akka.Done>(PersistenceWarmup.Finish, TimeSpan.FromSeconds(20));
                (await stopped.WaitAsync(TimeSpan.FromSeconds(20))).Should().BeTrue();
            }
            await WarmUpAsync();
            // Two nodes starting at once race for the same sequence number: one write is refused, and nothing breaks.
            await Task.WhenAll(WarmUpAsync(), WarmUpAsync());
            await WarmUpAsync();
        }

        (await ReadRowsAsync(PersistenceWarmup.WriteId)).Should().ContainSingle("each warm-up deletes the rows before its own")
            .Which.Manifest.Should().NotContain("Trial").And.NotContain("Attempt");
    }

    protected async Task A_fenced_write_fails_no_other_actors_write()
    {
        await using var host = JournalReaderHost.Start(Location);
        var gate = new TaskCompletionSource();
        // Innocent writers first: the first writes to reach the journal go alone, the later ones share batches.
        var innocent = Enumerable.Range(0, 40).Select(i => JournalSettings.PersistenceIdOf($"t-innocent-{i}"))
            .ToDictionary(id => id, id => StartWriter(host.System, id, Written, gate.Task));
        innocent[SweepCoordinator.Id] = StartCoordinatorWriter(host.System, gate.Task);
        await Task.WhenAll(innocent.Values.Select(w => w.Recovered)).WaitAsync(TimeSpan.FromSeconds(30));
        var stale = new List<Task>();
        for (var i = 0; i < 5; i++) stale.Add(await StartFencedWriterAsync(host.System, $"t-fenced-{i}", gate.Task));

        gate.SetResult();

        foreach (var write in stale)
            await FluentActions.Awaiting(() => write.WaitAsync(TimeSpan.FromSeconds(30))).Should().ThrowAsync<Exception>("its sequence number is taken");
        await Task.WhenAll(innocent.Values.Select(w => w.Done.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(TimeSpan.FromSeconds(30));
        innocent.Where(w => !w.Value.Done.IsCompletedSuccessfully).Select(w => $"{w.Key}: {w.Value.Done.Exception?.InnerException?.Message}")
            .Should().BeEmpty("only the fenced writes break the unique key");
    }

    protected async Task Fenced_writes_in_a_row_leave_the_coordinator_writing()
    {
        await using var host = JournalReaderHost.Start(Location);
        var gate = new TaskCompletionSource();
        var coordinator = StartCoordinatorWriter(host.System, gate.Task);
        await coordinator.Recovered.WaitAsync(TimeSpan.FromSeconds(20));
        var gates = Enumerable.Range(0, 10).Select(_ => new TaskCompletionSource()).ToList();
        var stale = new List<Task>();
        for (var i = 0; i < gates.Count; i++) stale.Add(await StartFencedWriterAsync(host.System, $"t-fenced-{i}", gates[i].Task));
        // Akka's journal circuit breaker opens after 10 failed writes in a row (circuit-breaker.max-failures).
        for (var i = 0; i < gates.Count; i++)
        {
            gates[i].SetResult();
            await FluentActions.Awaiting(() => stale[i].WaitAsync(TimeSpan.FromSeconds(30))).Should().ThrowAsync<Exception>("its sequence number is taken");
        }

        gate.SetResult();

        await coordinator.Done.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>A writer of <paramref name="trialId"/> that recovered at sequence number 2 and was fenced: another took
    /// number 3 before <paramref name="gate"/> lets it write; its task fails once it has tried.</summary>
    private async Task<Task> StartFencedWriterAsync(ActorSystem system, string trialId, Task gate)
    {
        await WriteAsync(system, trialId, Written[..2]);
        var (recovered, stale) = StartWriter(system, JournalSettings.PersistenceIdOf(trialId), [Late], gate);
        await recovered.WaitAsync(TimeSpan.FromSeconds(20));
        await WriteAsync(system, trialId, Written[2..3]);
        return stale;
    }

    /// <summary>A writer that recovers, waits for <paramref name="gate"/>, then persists <paramref name="events"/> through
    /// <paramref name="journalPluginId"/>; its <c>Done</c> fails when the journal refuses the write.</summary>
    private static (Task Recovered, Task Done) StartWriter(ActorSystem system, string persistenceId, IReadOnlyList<TrialEvent> events, Task gate,
        string journalPluginId = JournalSettings.JournalPlugin)
    {
        var done = new TaskCompletionSource();
        var recovered = new TaskCompletionSource();
        system.ActorOf(Props.Create(() => new Writer(persistenceId, journalPluginId, events, gate, recovered, done)));
        return (recovered.Task, done.Task);
    }

    /// <summary>A writer of the coordinator's journal, through the plugin <see cref="SweepCoordinator"/> uses.</summary>
    private static (Task Recovered, Task Done) StartCoordinatorWriter(ActorSystem system, Task gate) =>
        StartWriter(system, SweepCoordinator.Id, Written, gate, JournalSettings.CoordinatorJournalPlugin);

    internal static Task WriteAsync(ActorSystem system, string trialId, IReadOnlyList<TrialEvent> events) =>
        StartWriter(system, JournalSettings.PersistenceIdOf(trialId), events, Task.CompletedTask).Done.WaitAsync(TimeSpan.FromSeconds(30));

    private sealed class Writer : ReceivePersistentActor
    {
        private readonly TaskCompletionSource _done;

        public Writer(string persistenceId, string journalPluginId, IReadOnlyList<TrialEvent> events, Task gate, TaskCompletionSource recovered,
            TaskCompletionSource done)
        {
            PersistenceId = persistenceId;
            JournalPluginId = journalPluginId;
            _done = done;
            Recover<RecoveryCompleted>(_ =>
            {
                recovered.TrySetResult();
                gate.PipeTo(Self, success: () => Opened.Instance);
            });
            Command<Opened>(_ =>
            {
                var left = events.Count;
                PersistAll(events, _ =>
                {
                    if (--left == 0) _done.TrySetResult();
                });
            });
        }

        public override string PersistenceId { get; }

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            _done.TrySetException(cause);
            base.OnPersistFailure(cause, @event, sequenceNr);
        }
    }

    private sealed record Opened
    {
        public static Opened Instance { get; } = new();
    }

    private sealed class Recoverer : ReceivePersistentActor
    {
        private readonly List<TrialEvent> _events = [];

        public Recoverer(string persistenceId, TaskCompletionSource<(IReadOnlyList<TrialEvent>, long)> recovered)
        {
            PersistenceId = persistenceId;
            Recover<TrialEvent>(_events.Add);
            Recover<RecoveryCompleted>(_ =>
            {
                recovered.TrySetResult((_events, LastSequenceNr));
                Context.Stop(Self);
            });
        }

        public override string PersistenceId { get; }
    }

    private sealed class Deleter : ReceivePersistentActor
    {
        public Deleter(string persistenceId, long toSequenceNr, TaskCompletionSource deleted)
        {
            PersistenceId = persistenceId;
            Recover<RecoveryCompleted>(_ => DeleteMessages(toSequenceNr));
            Command<DeleteMessagesSuccess>(_ =>
            {
                deleted.TrySetResult();
                Context.Stop(Self);
            });
            Command<DeleteMessagesFailure>(f => deleted.TrySetException(f.Cause));
        }

        public override string PersistenceId { get; }
    }

    private sealed class PersistAndStop : ReceivePersistentActor
    {
        public PersistAndStop(string persistenceId, IReadOnlyList<TrialEvent> events)
        {
            PersistenceId = persistenceId;
            Recover<RecoveryCompleted>(_ => Self.Tell(Opened.Instance));
            Command<Opened>(_ =>
            {
                PersistAll(events, _ => { });
                Context.Stop(Self);
            });
        }

        public override string PersistenceId { get; }
    }
}

public sealed class SqliteJournalConfigurationTests : JournalConfigurationTests, IDisposable
{
    private readonly TempDir _dir = new("orch-journal-");

    protected override Task<string> CreateStoreUrlAsync() => Task.FromResult($"sqlite:{_dir.File("journal.db")}");

    protected override async Task<IReadOnlyList<(string Manifest, int Identifier, string Message)>> ReadRowsAsync(string persistenceId)
    {
        await using var conn = new SqliteConnection($"Data Source={Location.DatabasePath}");
        await conn.OpenAsync();
        await using var cmd = new SqliteCommand(
            "SELECT manifest, identifier, CAST(message AS TEXT) FROM journal WHERE persistence_id = $id ORDER BY sequence_number", conn);
        cmd.Parameters.AddWithValue("$id", persistenceId);
        var rows = new List<(string, int, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
        return rows;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }

    [Fact] public Task Events_round_trip() => Events_come_back_in_order_through_the_read_journal_and_read_with_plain_sql();
    [Fact] public Task A_taken_sequence_number_is_refused() => A_second_writer_at_a_taken_sequence_number_is_refused_and_the_first_write_stays();
    [Fact] public Task Recovery_in_a_fresh_process() => A_fresh_process_recovers_every_event_written();
    [Fact] public Task Warm_up_leaves_one_row() => The_node_warm_up_writes_under_one_id_and_leaves_one_row_however_often_it_runs();
    [Fact] public Task A_fenced_write_fails_no_other() => A_fenced_write_fails_no_other_actors_write();
    [Fact] public Task Fenced_writes_leave_the_coordinator_writing() => Fenced_writes_in_a_row_leave_the_coordinator_writing();
    [Fact] public Task Fresh_store_started_at_once() => Processes_starting_at_once_on_a_fresh_store_all_get_their_tables();
    [Fact] public Task Deleted_events_still_count() => Deleted_events_are_not_replayed_and_still_count_for_the_next_number();
    [Fact] public Task Recovery_waits_for_a_write_under_way() => A_recovery_waits_for_the_write_under_way_of_its_id();
    [Fact] public Task A_trial_back_on_a_process_recovers_all() => A_trial_that_comes_back_to_a_process_it_ran_on_recovers_every_event();
}

public sealed class PostgresJournalConfigurationTests : JournalConfigurationTests
{
    private string? _url;

    protected override async Task<string> CreateStoreUrlAsync() =>
        _url = PostgresTestServer.Url is null ? "postgres://nobody@127.0.0.1:1/none" : await PostgresTestServer.CreateDatabaseAsync("journal");

    protected override async Task<IReadOnlyList<(string Manifest, int Identifier, string Message)>> ReadRowsAsync(string persistenceId)
    {
        await using var conn = new NpgsqlConnection(Location.Postgres!.ConnectionString());
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT manifest, identifier, convert_from(message, 'UTF8') FROM journal WHERE persistence_id = @id ORDER BY sequence_number", conn);
        cmd.Parameters.AddWithValue("id", persistenceId);
        var rows = new List<(string, int, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2)));
        return rows;
    }

    public override async Task DisposeAsync()
    {
        if (_url is not null && PostgresTestServer.Url is not null) await PostgresTestServer.DropDatabaseAsync(_url);
    }

    [PostgresFact] public Task Events_round_trip() => Events_come_back_in_order_through_the_read_journal_and_read_with_plain_sql();
    [PostgresFact] public Task A_taken_sequence_number_is_refused() => A_second_writer_at_a_taken_sequence_number_is_refused_and_the_first_write_stays();
    [PostgresFact] public Task Recovery_in_a_fresh_process() => A_fresh_process_recovers_every_event_written();
    [PostgresFact] public Task Warm_up_leaves_one_row() => The_node_warm_up_writes_under_one_id_and_leaves_one_row_however_often_it_runs();
    [PostgresFact] public Task A_fenced_write_fails_no_other() => A_fenced_write_fails_no_other_actors_write();
    [PostgresFact] public Task Fenced_writes_leave_the_coordinator_writing() => Fenced_writes_in_a_row_leave_the_coordinator_writing();
    [PostgresFact] public Task Fresh_store_started_at_once() => Processes_starting_at_once_on_a_fresh_store_all_get_their_tables();
    [PostgresFact] public Task Deleted_events_still_count() => Deleted_events_are_not_replayed_and_still_count_for_the_next_number();
    [PostgresFact] public Task Recovery_waits_for_a_write_under_way() => A_recovery_waits_for_the_write_under_way_of_its_id();
    [PostgresFact] public Task A_trial_back_on_a_process_recovers_all() => A_trial_that_comes_back_to_a_process_it_ran_on_recovers_every_event();
}
