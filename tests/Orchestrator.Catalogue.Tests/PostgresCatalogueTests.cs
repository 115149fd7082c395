using Npgsql;
using Orchestrator.Catalogue.Postgres;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Testing;

namespace Orchestrator.Catalogue.Tests;

/// <summary>The conformance suite against a real PostgreSQL server, one fresh database per test.</summary>
[RequiresPostgres]
public sealed class PostgresStoreConformanceTests : StoreConformanceTests
{
    private string? _database;

    protected override async Task<ISweepCatalogue> CreateStoreAsync()
    {
        _database = await PostgresTestServer.CreateDatabaseAsync("conf");
        return await StoreFactory.OpenAsync(_database);
    }

    protected override async Task<LegacyDatabase> CreateLegacyDatabaseAsync(SweepRecord sweep, IReadOnlyList<LegacyTrial> trials, bool cancelled) =>
        await PostgresLegacyDatabase.CreateAsync(sweep, trials, cancelled);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null) await PostgresTestServer.DropDatabaseAsync(_database);
    }
}

/// <summary>What only the PostgreSQL store does: concurrent migration, reconnecting, checkpoint blobs, prepared batches.</summary>
public sealed class PostgresStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private string? _database;

    public async Task InitializeAsync()
    {
        if (PostgresTestServer.Url is not null) _database = await PostgresTestServer.CreateDatabaseAsync("pgs");
    }

    public async Task DisposeAsync()
    {
        if (_database is not null) await PostgresTestServer.DropDatabaseAsync(_database);
    }

    private string Db => _database!;

    [PostgresFact]
    public async Task Several_processes_migrating_one_new_database_at_once_all_succeed_and_apply_it_once()
    {
        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => StoreFactory.OpenAsync(Db))));
        foreach (var s in stores) await s.DisposeAsync();

        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM schema_version;", conn);
        ((long)(await cmd.ExecuteScalarAsync())!).Should().Be(PostgresSchema.Migrations.Count, "each step applied once");
    }

    [PostgresFact]
    public async Task Killed_connections_are_replaced_and_the_operation_completes()
    {
        await using var store = await StoreFactory.OpenAsync(Db);
        await store.RegisterSweepAsync(new SweepRecord(new SweepId("s1"), "s", "spec", T0), [new(new TrialId("t1"), new SweepId("s1"), "{}", TrialStatus.Pending, null, 0, T0)]);
        (await store.ListSweepsAsync()).Should().ContainSingle();

        // What a server restart does to a client: every open connection of the pool is terminated.
        await using (var conn = await OpenAsync())
        await using (var kill = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();", conn))
            await kill.ExecuteNonQueryAsync();

        (await store.ListSweepsAsync()).Should().ContainSingle();
        await store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("t1"), TrialStatus.Completed, null, 1, T0.AddSeconds(1))]);
        (await store.GetTrialAsync(new TrialId("t1")))!.Status.Should().Be(TrialStatus.Completed);
        (await store.SetSweepCancelledAsync(new SweepId("s1"), true, T0.AddSeconds(2))).Should().BeTrue();
        (await store.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeTrue();
    }

    [PostgresFact]
    public async Task A_status_is_stored_as_its_name_on_insert_and_on_update()
    {
        await using var store = await StoreFactory.OpenAsync(Db);
        var statuses = Enum.GetValues<TrialStatus>();
        await store.RegisterSweepAsync(new SweepRecord(new SweepId("s1"), "s", "spec", T0),
            statuses.Select((s, i) => new TrialRecord(new TrialId($"t{i}"), new SweepId("s1"), "{}", s, null, 0, T0)).ToList());

        (await StoredStatusesAsync()).Should().Equal("Pending", "Running", "Completed", "Failed", "Cancelled", "Diverged", "Pruned");
        await store.UpdateTrialsAsync(statuses.Select((s, i) => new TrialRowUpdate(new TrialId($"t{i}"), statuses[^(i + 1)], null, 1, T0)).ToList());
        (await StoredStatusesAsync()).Should().Equal("Pruned", "Diverged", "Cancelled", "Failed", "Completed", "Running", "Pending");
    }

    private async Task<List<string>> StoredStatusesAsync()
    {
        await using var conn = await OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT status FROM trials ORDER BY id;", conn);
        var stored = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
        return stored;
    }

    [PostgresFact]
    public async Task Checkpoint_blobs_round_trip_are_written_once_and_pruned_per_trial_up_to_an_attempt()
    {
        await using var store = (PostgresCatalogue)await StoreFactory.OpenAsync(Db);
        await store.PutArtifactAsync("t1", "a.pt", "sha-a", [1, 2, 3]);
        await store.PutArtifactAsync("t1", "b.pt", "sha-b", [4]);
        await store.PutArtifactAsync("t2", "a.pt", "sha-x", [9]);
        await store.PutArtifactAsync("t1", "a.pt", "sha-a2", [5, 6]);
        await store.PutArtifactAsync("t1", "best-a003-e0002.pt", "sha-3", [7]);

        var a = await store.GetArtifactAsync("t1", "a.pt");
        a!.Value.Content.Should().Equal([1, 2, 3], "a name is written once: a second writer of it changes nothing");
        a.Value.Sha256.Should().Be("sha-a");
        (await store.GetArtifactAsync("t1", "nope.pt")).Should().BeNull();

        (await store.PruneArtifactsAsync("t1", n => n != "b.pt" && CheckpointNames.AttemptOf(n) <= 2)).Should().Be(1);
        (await store.GetArtifactAsync("t1", "a.pt")).Should().BeNull();
        (await store.GetArtifactAsync("t1", "b.pt")).Should().NotBeNull();
        (await store.GetArtifactAsync("t1", "best-a003-e0002.pt")).Should().NotBeNull("attempt 2 never prunes attempt 3's files");
        (await store.GetArtifactAsync("t2", "a.pt")).Should().NotBeNull("another trial's files are untouched");
        (await store.PruneArtifactsAsync("t1", n => n != "b.pt" && CheckpointNames.AttemptOf(n) <= 3)).Should().Be(1);
    }

    [PostgresFact]
    public async Task Several_processes_migrating_one_old_database_at_once_apply_the_new_step_once_and_keep_its_blobs()
    {
        await using var legacy = await PostgresLegacyDatabase.CreateAsync(new SweepRecord(new SweepId("s1"), "s", "spec", T0),
            [new LegacyTrial("t1", "s1", "{}", "Running", "n1/slot-0", 2, T0.AddMinutes(1), 2, T0)], cancelled: false);

        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => StoreFactory.OpenAsync(legacy.Url))));
        try
        {
            (await legacy.SchemaVersionsAsync()).Should().Equal(Enumerable.Range(1, PostgresSchema.Migrations[^1].Version).Select(v => (long)v));
            foreach (var s in stores)
                (await s.GetTrialAsync(new TrialId("t1"))).Should().Be(new TrialRecord(new TrialId("t1"), new SweepId("s1"), "{}", TrialStatus.Running, "n1/slot-0", 2, T0));
            var blob = await ((PostgresCatalogue)stores[0]).GetArtifactAsync("legacy-trial", "last.pt");
            blob!.Value.Content.Should().Equal(1, 2);
            blob.Value.Sha256.Should().Be("sha-legacy");
        }
        finally
        {
            foreach (var s in stores) await s.DisposeAsync();
        }
    }

    [PostgresFact]
    public async Task A_batch_round_trips_through_one_connection_s_prepared_statements_many_times()
    {
        // MaxAutoPrepare prepares the batch update after a couple of uses; batches of other sizes, and with all or
        // no assignments null, must still bind (the array parameters keep one type).
        await using var store = await StoreFactory.OpenAsync(Db);
        var trials = Enumerable.Range(1, 30).Select(i => new TrialRecord(new TrialId($"t{i:D2}"), new SweepId("s1"), "{}", TrialStatus.Pending, null, 0, T0)).ToList();
        await store.RegisterSweepAsync(new SweepRecord(new SweepId("s1"), "s", "spec", T0), trials);
        for (var round = 1; round <= 8; round++)
        {
            var size = round * 3;
            string? Slot(int i) => round % 3 == 0 ? null : round % 3 == 1 ? $"n{i}/slot-0" : i % 2 == 0 ? null : "n/slot-1";
            await store.UpdateTrialsAsync(trials.Take(size)
                .Select((t, i) => new TrialRowUpdate(t.Id, TrialStatus.Running, Slot(i), round, T0.AddTicks(round))).ToList());
            var stored = await store.ListTrialsAsync(new SweepId("s1"));
            stored.Take(size).Select(t => t.AssignedTo).Should().Equal(Enumerable.Range(0, size).Select(Slot));
            stored.Take(size).Should().OnlyContain(t => t.Attempts == round && t.UpdatedAt == T0.AddTicks(round));
        }
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection(PostgresTarget.Parse(Db).ConnectionString() + ";Pooling=false");
        await conn.OpenAsync();
        return conn;
    }
}

public sealed class PostgresUrlTests
{
    [Theory]
    [InlineData("postgres://alice@db.example:6432/sweeps", "db.example", 6432, "sweeps", "alice")]
    [InlineData("postgresql://bob@10.0.0.5/orch", "10.0.0.5", 5432, "orch", "bob")]
    [InlineData("postgres://carol@[::1]:5433/x?sslmode=require", "::1", 5433, "x", "carol")]
    public void A_postgres_url_names_host_port_database_and_user(string url, string host, int port, string db, string user)
    {
        var location = StoreUrl.Parse(url);

        location.Kind.Should().Be(StoreKind.Postgres);
        location.Postgres.Should().NotBeNull();
        location.Postgres!.Host.Should().Be(host);
        location.Postgres.Port.Should().Be(port);
        location.Postgres.Database.Should().Be(db);
        location.Postgres.User.Should().Be(user);
        location.DatabasePath.Should().NotContain("password");
    }

    [Theory]
    [InlineData("postgres://alice:s3cret@db/sweeps")]
    [InlineData("postgres://alice@db/sweeps?password=s3cret")]
    public void A_password_in_the_url_is_refused_and_never_echoed(string url)
    {
        var act = () => StoreUrl.Parse(url);
        act.Should().Throw<FormatException>().Where(e => e.Message.Contains("password") && !e.Message.Contains("s3cret"));
    }

    [Theory]
    [InlineData("postgres://alice@db", "one database name")]
    [InlineData("postgres://alice@db/x?sslmode=sometimes", "sslmode")]
    [InlineData("postgres://alice@db/x?pool=3", "unknown parameter")]
    public void Malformed_postgres_urls_are_rejected_with_a_clear_message(string url, string reason)
    {
        var act = () => StoreUrl.Parse(url);
        act.Should().Throw<FormatException>().WithMessage($"*{reason}*");
    }

    [Fact]
    public void The_password_comes_from_PGPASSWORD_not_the_url()
    {
        var before = Environment.GetEnvironmentVariable("PGPASSWORD");
        try
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", "from-env");
            var cs = new NpgsqlConnectionStringBuilder(PostgresTarget.Parse("postgres://alice@db/x").ConnectionString());
            cs.Password.Should().Be("from-env");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PGPASSWORD", before);
        }
    }
}
