using Npgsql;
using Orchestrator.Store.Postgres;
using Orchestrator.Tests.Shared;

namespace Orchestrator.Store.Tests;

/// <summary>The conformance suite against a real PostgreSQL server, one fresh database per test.</summary>
[RequiresPostgres]
public sealed class PostgresStoreConformanceTests : StoreConformanceTests
{
    private string? _database;

    protected override async Task<IOrchestratorStore> CreateStoreAsync()
    {
        _database = await PostgresTestServer.CreateDatabaseAsync("conf");
        return await StoreFactory.OpenAsync(_database);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null) await PostgresTestServer.DropDatabaseAsync(_database);
    }
}

/// <summary>What only the PostgreSQL store does: concurrent migration, the unique constraint, reconnecting.</summary>
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
        await store.RegisterSweepAsync(new SweepRecord("s1", "s", "spec", T0), [new("t1", "s1", "{}", TrialStatus.Pending, null, 0, null, 0, T0)]);
        (await store.ListSweepsAsync()).Should().ContainSingle();

        // What a server restart does to a client: every open connection of the pool is terminated.
        await using (var conn = await OpenAsync())
        await using (var kill = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid();", conn))
            await kill.ExecuteNonQueryAsync();

        (await store.ListSweepsAsync()).Should().ContainSingle();
        var lease = await store.TryClaimTrialAsync("s1", "w", T0, TimeSpan.FromMinutes(1));
        (await store.FinishTrialAsync(lease!, TrialStatus.Completed, T0)).Should().BeTrue();
    }

    [PostgresFact]
    public async Task Checkpoint_blobs_round_trip_are_replaced_and_pruned_per_trial()
    {
        await using var store = (PostgresStore)await StoreFactory.OpenAsync(Db);
        await store.PutArtifactAsync("t1", "a.pt", "sha-a", [1, 2, 3]);
        await store.PutArtifactAsync("t1", "b.pt", "sha-b", [4]);
        await store.PutArtifactAsync("t2", "a.pt", "sha-x", [9]);
        await store.PutArtifactAsync("t1", "a.pt", "sha-a2", [5, 6]);

        var a = await store.GetArtifactAsync("t1", "a.pt");
        a!.Value.Content.Should().Equal(5, 6);
        a.Value.Sha256.Should().Be("sha-a2");
        (await store.GetArtifactAsync("t1", "nope.pt")).Should().BeNull();

        (await store.PruneArtifactsAsync("t1", ["b.pt"])).Should().Be(1);
        (await store.GetArtifactAsync("t1", "a.pt")).Should().BeNull();
        (await store.GetArtifactAsync("t1", "b.pt")).Should().NotBeNull();
        (await store.GetArtifactAsync("t2", "a.pt")).Should().NotBeNull("another trial's files are untouched");
    }

    [PostgresFact]
    public async Task An_idle_waiter_is_woken_by_a_registration_elsewhere_long_before_its_timeout()
    {
        await using var waiting = (PostgresStore)await StoreFactory.OpenAsync(Db);
        await using var launching = await StoreFactory.OpenAsync(Db);
        await waiting.WaitForWorkAsync(TimeSpan.FromSeconds(2)); // starts listening
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        await waiting.WaitForWorkAsync(TimeSpan.FromSeconds(1));
        quiet.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(900), "nothing happened, so it waits out its timeout");

        var woken = System.Diagnostics.Stopwatch.StartNew();
        var wait = waiting.WaitForWorkAsync(TimeSpan.FromSeconds(30));
        await launching.RegisterSweepAsync(new SweepRecord("s1", "s", "spec", T0), [new("t1", "s1", "{}", TrialStatus.Pending, null, 0, null, 0, T0)]);
        await wait;
        woken.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "the registration notified the waiter");
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
