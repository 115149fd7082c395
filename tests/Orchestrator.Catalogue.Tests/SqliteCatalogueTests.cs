using Microsoft.Data.Sqlite;
using Orchestrator.Catalogue.Sqlite;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Testing;

namespace Orchestrator.Catalogue.Tests;

public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    private readonly TempDir _dir = new("orchestrator-store-tests-");

    protected override async Task<ISweepCatalogue> CreateStoreAsync() => await SqliteCatalogue.OpenAsync(_dir.File("store.db"));

    protected override async Task<LegacyDatabase> CreateLegacyDatabaseAsync(SweepRecord sweep, IReadOnlyList<LegacyTrial> trials, bool cancelled) =>
        await SqliteLegacyDatabase.CreateAsync(_dir.File("legacy.db"), sweep, trials, cancelled);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class SqliteStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new("orchestrator-store-tests-");

    public void Dispose() => _dir.Dispose();

    private static SweepRecord Sweep() => new(new SweepId("s1"), "sweep", "spec: 1", T0);

    private static TrialRecord Trial(int i) => new(new TrialId($"t{i:D3}"), new SweepId("s1"), "{}", TrialStatus.Pending, null, 0, T0);

    private static async Task<long> ScalarAsync(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Open_creates_the_directory_and_file_and_configures_the_connection()
    {
        var path = System.IO.Path.Combine(_dir.Path, "a", "b", "store.db");
        await using var store = await SqliteCatalogue.OpenAsync(path);
        await store.MigrateAsync();

        File.Exists(path).Should().BeTrue();
        store.Path.Should().Be(path);
        await using var conn = await store.OpenConnectionAsync(CancellationToken.None);
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode;";
            ((string?)await cmd.ExecuteScalarAsync()).Should().Be("wal");
        }
        (await ScalarAsync(conn, "PRAGMA synchronous;")).Should().Be(2, "FULL");
        (await ScalarAsync(conn, "PRAGMA foreign_keys;")).Should().Be(1);
        (await ScalarAsync(conn, "PRAGMA busy_timeout;")).Should().Be(10_000);
        (await ScalarAsync(conn, "SELECT COUNT(*) FROM schema_version;")).Should().Be(SqliteSchema.Migrations.Count, "each migration step recorded once");
        (await ScalarAsync(conn, "SELECT MAX(version) FROM schema_version;")).Should().Be(SqliteSchema.Migrations[^1].Version);
    }

    [Fact]
    public async Task Data_survives_closing_and_reopening_the_file()
    {
        var path = _dir.File("store.db");
        await using (var store = await SqliteCatalogue.OpenAsync(path))
        {
            await store.RegisterSweepAsync(Sweep(), [Trial(1)]);
            await store.UpdateTrialsAsync([new TrialRowUpdate(new TrialId("t001"), TrialStatus.Running, "n1/slot-0", 1, T0.AddSeconds(1))]);
            (await store.SetSweepCancelledAsync(new SweepId("s1"), true, T0.AddSeconds(2))).Should().BeTrue();
        }

        await using var reopened = await SqliteCatalogue.OpenAsync(path);
        (await reopened.GetTrialAsync(new TrialId("t001"))).Should().Be(Trial(1) with
        {
            Status = TrialStatus.Running, AssignedTo = "n1/slot-0", Attempts = 1, UpdatedAt = T0.AddSeconds(1),
        });
        (await reopened.IsSweepCancelledAsync(new SweepId("s1"))).Should().BeTrue();
    }

    [Fact]
    public async Task Several_stores_migrating_one_new_file_at_once_all_succeed()
    {
        var path = _dir.File("store.db");
        var options = new SqliteStoreOptions { Pooling = false };
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => SqliteCatalogue.OpenAsync(path, options))));
        try
        {
            await using var conn = await stores[0].OpenConnectionAsync(CancellationToken.None);
            (await ScalarAsync(conn, "SELECT COUNT(*) FROM schema_version;")).Should().Be(SqliteSchema.Migrations.Count);
        }
        finally
        {
            foreach (var s in stores)
            {
                await s.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_status_is_stored_as_its_name_on_insert_and_on_update()
    {
        await using var store = await SqliteCatalogue.OpenAsync(_dir.File("store.db"));
        var statuses = Enum.GetValues<TrialStatus>();
        await store.RegisterSweepAsync(Sweep(), statuses.Select((s, i) => Trial(i) with { Status = s }).ToList());
        await using var conn = await store.OpenConnectionAsync(CancellationToken.None);

        (await StoredStatusesAsync(conn)).Should().Equal("Pending", "Running", "Completed", "Failed", "Cancelled", "Diverged", "Pruned");
        await store.UpdateTrialsAsync(statuses.Select((s, i) => new TrialRowUpdate(Trial(i).Id, statuses[^(i + 1)], null, 1, T0)).ToList());
        (await StoredStatusesAsync(conn)).Should().Equal("Pruned", "Diverged", "Cancelled", "Failed", "Completed", "Running", "Pending");
    }

    private static async Task<List<string>> StoredStatusesAsync(SqliteConnection conn)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT status FROM trials ORDER BY id;";
        var stored = new List<string>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) stored.Add(reader.GetString(0));
        return stored;
    }

    [Fact]
    public async Task A_write_transaction_that_throws_midway_leaves_nothing_behind()
    {
        await using var store = await SqliteCatalogue.OpenAsync(_dir.File("store.db"));
        await store.RegisterSweepAsync(Sweep(), [Trial(1)]);

        var act = () => store.WriteAsync<int>((conn, tx) =>
        {
            using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = """
                UPDATE trials SET status = 'Failed' WHERE id = 't001';
                UPDATE sweeps SET name = 'renamed' WHERE id = 's1';
                """;
            cmd.ExecuteNonQuery();
            throw new IOException("simulated crash after the writes");
        }, CancellationToken.None);

        await act.Should().ThrowAsync<IOException>();
        (await store.GetTrialAsync(new TrialId("t001")))!.Status.Should().Be(TrialStatus.Pending);
        (await store.GetSweepAsync(new SweepId("s1")))!.Name.Should().NotBe("renamed");
    }

    [Fact]
    public async Task Several_stores_migrating_one_old_file_at_once_apply_the_new_step_once()
    {
        var path = _dir.File("old.db");
        var options = new SqliteStoreOptions { Pooling = false };
        var legacy = await SqliteLegacyDatabase.CreateAsync(path, Sweep(),
            [new LegacyTrial("t001", "s1", "{}", "Running", "n1/slot-0", 2, T0.AddMinutes(1), 2, T0)], cancelled: false, options);

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SqliteCatalogue.OpenAsync(path, options))));
        try
        {
            (await legacy.SchemaVersionsAsync()).Should().Equal(Enumerable.Range(1, SqliteSchema.Migrations[^1].Version).Select(v => (long)v));
            foreach (var s in stores)
                (await s.GetTrialAsync(new TrialId("t001"))).Should().Be(Trial(1) with { Status = TrialStatus.Running, AssignedTo = "n1/slot-0", Attempts = 2 });
        }
        finally
        {
            foreach (var s in stores)
            {
                await s.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Two stores without connection pooling on one file behave like two processes: separate connections, one
    /// write lock. Writers on both project batches of updates, register trials and flip the cancelled flag at
    /// once; every write lands, none fails on the lock.
    /// </summary>
    [Fact]
    public async Task Two_independent_stores_on_one_file_interleave_writes_and_lose_none()
    {
        const int trialCount = 40;
        const int rounds = 15;
        var path = _dir.File("shared.db");
        var options = new SqliteStoreOptions { Pooling = false };
        await using var a = await SqliteCatalogue.OpenAsync(path, options);
        await using var b = await SqliteCatalogue.OpenAsync(path, options);
        (await a.RegisterSweepAsync(Sweep(), Enumerable.Range(1, trialCount).Select(Trial).ToList())).Should().Be(trialCount);
        (await b.ListTrialsAsync(new SweepId("s1"))).Should().HaveCount(trialCount);

        async Task Writer(SqliteCatalogue store, int w)
        {
            var mine = Enumerable.Range(1, trialCount).Where(i => i % 4 == w).Select(i => $"t{i:D3}").ToList();
            for (var round = 1; round <= rounds; round++)
            {
                await store.UpdateTrialsAsync(mine.Select(id => new TrialRowUpdate(new TrialId(id), TrialStatus.Running, $"w{w}", round, T0.AddSeconds(round))).ToList());
                await store.SetSweepCancelledAsync(new SweepId("s1"), round % 2 == 0, T0.AddSeconds(round));
                await store.RegisterSweepAsync(Sweep(), [new TrialRecord(new TrialId($"extra-{w}-{round}"), new SweepId("s1"), "{}", TrialStatus.Pending, null, 0, T0)]);
                (await store.ListTrialsAsync(new SweepId("s1"))).Should().HaveCountGreaterThanOrEqualTo(trialCount + round);
            }
            await store.UpdateTrialsAsync(mine.Select(id => new TrialRowUpdate(new TrialId(id), TrialStatus.Completed, null, rounds, T0.AddHours(1))).ToList());
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() => Writer(w % 2 == 0 ? a : b, w))));

        var trials = await a.ListTrialsAsync(new SweepId("s1"));
        trials.Should().HaveCount(trialCount + 4 * rounds);
        trials.Take(trialCount).Should().OnlyContain(t => t.Status == TrialStatus.Completed && t.AssignedTo == null && t.Attempts == rounds);
        (await b.ListTrialsAsync(new SweepId("s1"))).Should().Equal(trials, "both stores see one file");
    }
}

public sealed class StoreUrlTests : IDisposable
{
    private readonly TempDir _dir = new("orchestrator-store-tests-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_relative_sqlite_path_is_resolved_against_the_current_directory()
    {
        var location = StoreUrl.Parse("sqlite:runs/store.db");

        var expected = Path.Combine(Directory.GetCurrentDirectory(), "runs", "store.db");
        location.Should().Be(new StoreLocation(StoreKind.Sqlite, expected, Path.Combine(Directory.GetCurrentDirectory(), "runs", "artifacts")));
    }

    [Fact]
    public void An_absolute_sqlite_path_keeps_its_directory_for_artifacts()
    {
        var db = _dir.File("store.db");
        var location = StoreUrl.Parse($"SQLite:{db}");

        location.DatabasePath.Should().Be(db);
        location.ArtifactRoot.Should().Be(Path.Combine(_dir.Path, "artifacts"));
    }

    [Theory]
    [InlineData("sqlite:", "path is empty")]
    [InlineData("mysql://host/db", "unknown scheme")]
    [InlineData("store.db", "unknown scheme")]
    [InlineData("", "unknown scheme")]
    public void Unsupported_urls_are_rejected_with_a_clear_message(string url, string reason)
    {
        var act = () => StoreUrl.Parse(url);
        act.Should().Throw<FormatException>().WithMessage($"*{reason}*");
    }

    [Fact]
    public async Task The_factory_opens_a_migrated_sqlite_store()
    {
        var db = Path.Combine(_dir.Path, "nested", "store.db");
        await using var store = await StoreFactory.OpenAsync($"sqlite:{db}");

        store.Should().BeOfType<SqliteCatalogue>();
        File.Exists(db).Should().BeTrue();
        (await store.ListSweepsAsync()).Should().BeEmpty();
    }
}
