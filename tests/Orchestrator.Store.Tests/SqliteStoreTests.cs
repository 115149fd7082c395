using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using Orchestrator.Store.Sqlite;

namespace Orchestrator.Store.Tests;

/// <summary>A directory under the system temp directory, deleted with its contents on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "orchestrator-store-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test over.
        }
    }
}

public sealed class SqliteStoreConformanceTests : StoreConformanceTests
{
    private readonly TempDir _dir = new();

    protected override async Task<IOrchestratorStore> CreateStoreAsync() => await SqliteStore.OpenAsync(_dir.File("store.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _dir.Dispose();
    }
}

public sealed class SqliteStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SweepRecord Sweep() => new("s1", "sweep", "spec: 1", T0);

    private static TrialRecord Trial(int i) => new($"t{i:D3}", "s1", "{}", TrialStatus.Pending, null, 0, null, 0, T0);

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
        await using var store = await SqliteStore.OpenAsync(path);
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
        await using (var store = await SqliteStore.OpenAsync(path))
        {
            await store.RegisterSweepAsync(Sweep(), [Trial(1)]);
            var lease = await store.TryClaimTrialAsync("s1", "w1", T0, TimeSpan.FromMinutes(1));
            lease.Should().NotBeNull();
        }

        await using var reopened = await SqliteStore.OpenAsync(path);
        (await reopened.GetTrialAsync("t001"))!.LeaseEpoch.Should().Be(1);
        (await reopened.GetTrialAsync("t001"))!.Status.Should().Be(TrialStatus.Running);
    }

    [Fact]
    public async Task Several_stores_migrating_one_new_file_at_once_all_succeed()
    {
        var path = _dir.File("store.db");
        var options = new SqliteStoreOptions { Pooling = false };
        var stores = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => SqliteStore.OpenAsync(path, options))));
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
    public async Task A_write_transaction_that_throws_midway_leaves_nothing_behind()
    {
        await using var store = await SqliteStore.OpenAsync(_dir.File("store.db"));
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
        (await store.GetTrialAsync("t001"))!.Status.Should().Be(TrialStatus.Pending);
        (await store.GetSweepAsync("s1"))!.Name.Should().NotBe("renamed");
    }

    /// <summary>
    /// Two stores without connection pooling on one file behave like two processes: separate connections, one
    /// write lock. Workers on both claim, renew and finish under short leases on a shared virtual clock, so
    /// leases expire and are taken over while their old holders still hold on.
    /// </summary>
    [Fact]
    public async Task Two_independent_stores_on_one_file_never_double_claim_and_fence_stale_holders()
    {
        const int trialCount = 30;
        var path = _dir.File("shared.db");
        var options = new SqliteStoreOptions { Pooling = false };
        await using var a = await SqliteStore.OpenAsync(path, options);
        await using var b = await SqliteStore.OpenAsync(path, options);
        (await a.RegisterSweepAsync(Sweep(), Enumerable.Range(1, trialCount).Select(Trial).ToList())).Should().Be(trialCount);
        (await b.ListTrialsAsync("s1")).Should().HaveCount(trialCount);

        var clock = 0L;
        DateTimeOffset Tick() => T0.AddSeconds(Interlocked.Increment(ref clock));
        var lease = TimeSpan.FromSeconds(5);

        var claims = new ConcurrentBag<TrialLease>();
        var finished = new ConcurrentBag<TrialLease>();
        var rejected = 0;

        async Task Worker(SqliteStore store, string owner)
        {
            for (var iteration = 0; iteration < 5_000; iteration++)
            {
                var l = await store.TryClaimTrialAsync("s1", owner, Tick(), lease);
                if (l is null)
                {
                    var trials = await store.ListTrialsAsync("s1");
                    if (trials.All(t => t.Status == TrialStatus.Completed))
                    {
                        return;
                    }
                    await Task.Yield();
                    continue;
                }
                claims.Add(l);
                var held = true;
                for (var step = 0; step < 3 && held; step++)
                {
                    // A pause between steps lets other workers run, so the clock moves and leases get taken over.
                    await Task.Delay(Random.Shared.Next(0, 3));
                    held = await store.RenewLeaseAsync(l, Tick(), lease);
                }
                if (held && await store.FinishTrialAsync(l, TrialStatus.Completed, Tick()))
                    finished.Add(l);
                else
                    Interlocked.Increment(ref rejected);
            }
            throw new TimeoutException($"{owner} did not see the sweep finish");
        }

        var workers = Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => Worker(i % 2 == 0 ? a : b, $"w{i}")))
            .ToList();
        await Task.WhenAll(workers);
        claims.Count.Should().BeGreaterThan(trialCount, "the race is only tested if some leases were taken over ({0} stale holders fenced)", rejected);

        claims.Select(c => (c.TrialId, c.Epoch)).Should().OnlyHaveUniqueItems("no epoch of a trial is handed out twice");
        finished.Select(f => f.TrialId).Should().OnlyHaveUniqueItems().And.HaveCount(trialCount);

        foreach (var trial in await b.ListTrialsAsync("s1"))
        {
            var epochs = claims.Where(c => c.TrialId == trial.Id).Select(c => c.Epoch).OrderBy(e => e).ToList();
            epochs.Should().Equal(Enumerable.Range(1, epochs.Count).Select(e => (long)e), "every claim bumps the epoch by one");
            trial.Status.Should().Be(TrialStatus.Completed);
            trial.LeaseEpoch.Should().Be(epochs[^1]);
            trial.Attempts.Should().Be(epochs.Count);
        }
    }
}

public sealed class StoreUrlTests : IDisposable
{
    private readonly TempDir _dir = new();

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

        store.Should().BeOfType<SqliteStore>();
        File.Exists(db).Should().BeTrue();
        (await store.ListSweepsAsync()).Should().BeEmpty();
    }
}
