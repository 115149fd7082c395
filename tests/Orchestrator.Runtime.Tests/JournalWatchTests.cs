using Microsoft.Data.Sqlite;
using Orchestrator.Domain.Events;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>The dashboard's live watches of journals (<see cref="JournalWatch"/>), on SQLite and on a real PostgreSQL:
/// an event journaled under a followed id wakes its watchers, one query serves every watcher of an id, and a watcher
/// that goes leaves no query running.</summary>
public abstract class JournalWatchTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static TrialEvent Epoch(int epoch) => new EpochCompleted(epoch, 1.5, 1.2, 0.5, 0.4, 0.001, 0, 0, 2) { Attempt = 1 };

    protected async Task New_events_wake_the_watchers_of_their_id_only_and_a_watcher_that_goes_stops_its_query(string storeUrl)
    {
        await using var host = JournalReaderHost.Start(StoreUrl.Parse(storeUrl));
        // Events journaled before the watch began are not news.
        await JournalConfigurationTests.WriteAsync(host.System, "t-a", [new AttemptStarted("slot-0") { Attempt = 1 }, Epoch(1)]);
        var watch = host.Watch;
        using var first = watch.Watch();
        using var second = watch.Watch();
        using var other = watch.Watch();
        first.Follow([JournalSettings.PersistenceIdOf("t-a")]);
        second.Follow([JournalSettings.PersistenceIdOf("t-a"), JournalSettings.PersistenceIdOf("t-b")]);
        other.Follow([JournalSettings.PersistenceIdOf("t-b")]);
        watch.LiveQueries.Should().Be(2, "one query per id, whoever follows it");
        (await first.WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None)).Should().BeFalse("nothing was journaled since the watch began");

        await JournalConfigurationTests.WriteAsync(host.System, "t-a", [Epoch(2)]);
        (await first.WaitAsync(Wait, CancellationToken.None)).Should().BeTrue();
        (await second.WaitAsync(Wait, CancellationToken.None)).Should().BeTrue();
        (await other.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None)).Should().BeFalse("it follows t-b only");

        // Following no longer t-a leaves its query to the first watcher; when it goes too, the query stops.
        second.Follow([JournalSettings.PersistenceIdOf("t-b")]);
        watch.LiveQueries.Should().Be(2);
        first.Dispose();
        watch.LiveQueries.Should().Be(1, "t-b's query is left, for the other watchers");
        second.Dispose();
        other.Dispose();
        watch.LiveQueries.Should().Be(0);

        using var cancelled = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        using var late = watch.Watch();
        await FluentActions.Awaiting(() => late.WaitAsync(Wait, cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
    }

}

public sealed class SqliteJournalWatchTests : JournalWatchTests, IDisposable
{
    private readonly TempDir _dir = new("orch-watch-");

    [Fact]
    public Task New_events_wake_their_watchers() => New_events_wake_the_watchers_of_their_id_only_and_a_watcher_that_goes_stops_its_query(
        $"sqlite:{_dir.File("store.db")}");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}

public sealed class PostgresJournalWatchTests : JournalWatchTests
{
    [PostgresFact]
    public async Task New_events_wake_their_watchers()
    {
        var url = await PostgresTestServer.CreateDatabaseAsync("watch");
        try
        {
            await New_events_wake_the_watchers_of_their_id_only_and_a_watcher_that_goes_stops_its_query(url);
        }
        finally
        {
            await PostgresTestServer.DropDatabaseAsync(url);
        }
    }
}
