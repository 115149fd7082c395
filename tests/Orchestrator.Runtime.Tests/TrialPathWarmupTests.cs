using Microsoft.Data.Sqlite;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Sqlite;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

public sealed class TrialPathWarmupTests : IDisposable
{
    private readonly TempDir _temp = new("orch-warmup-");
    private readonly string _dir;

    public TrialPathWarmupTests() => _dir = _temp.Path;

    [Fact]
    public async Task Runs_every_path_through_the_product_s_serializers_and_stores_nothing()
    {
        var path = Path.Combine(_dir, "store.db");
        await using var store = await SqliteCatalogue.OpenAsync(path);
        await using (var host = JournalReaderHost.Start(StoreUrl.Parse("sqlite:" + path)))
            (await TrialPathWarmup.RunAsync(host.System, store)).Should().BeTrue("every sample it makes is valid, and each one round-trips");

        (await store.ListSweepsAsync()).Should().BeEmpty();
        (await store.GetTrialAsync(new TrialId("t-warm-up"))).Should().BeNull();
        await using var conn = new SqliteConnection($"Data Source={path}");
        await conn.OpenAsync();
        await using var cmd = new SqliteCommand("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'", conn);
        if ((long)(await cmd.ExecuteScalarAsync())! == 1)
        {
            await using var rows = new SqliteCommand("SELECT count(*) FROM journal", conn);
            ((long)(await rows.ExecuteScalarAsync())!).Should().Be(0, "the warm-up only round-trips in memory");
        }
    }

    [Fact]
    public async Task A_store_it_cannot_reach_stops_it_early_without_throwing()
    {
        var gone = Path.Combine(_dir, "gone");
        Directory.CreateDirectory(gone);
        await using var store = await SqliteCatalogue.OpenAsync(Path.Combine(gone, "store.db"));
        SqliteConnection.ClearAllPools();
        Directory.Delete(gone, recursive: true);
        await using var host = JournalReaderHost.Start(StoreUrl.Parse("sqlite:" + Path.Combine(_dir, "journal.db")));
        (await TrialPathWarmup.RunAsync(host.System, store)).Should().BeFalse("the trial-row query fails: its folder is gone");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }
}
