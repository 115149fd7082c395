using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestrator.Dashboard;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Cli.Tests;

/// <summary>A page's event stream (<see cref="DashboardStream"/>) in process, over a SQLite store's read journal: the
/// journal queries it follows stop when the browser goes or the dashboard stops, and its events are in the format a
/// browser's EventSource reads.</summary>
public sealed class DashboardStreamTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly TempDir _dir = new("orch-stream-");

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stream_ends_and_lets_its_journal_queries_go_when_the_browser_goes_or_the_dashboard_stops(bool browserGoes)
    {
        await using var host = JournalReaderHost.Start(StoreUrl.Parse($"sqlite:{_dir.File("store.db")}"));
        using var aborted = new CancellationTokenSource();
        using var stopping = new CancellationTokenSource();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };
        var body = new MemoryStream();
        context.Response.Body = body;
        var follow = new[] { JournalSettings.PersistenceIdOf("t-1"), JournalSettings.PersistenceIdOf("t-2") };
        var served = DashboardStream.ServeAsync(context, host.Watch, _ => Task.FromResult(new LiveFrame("<p>one</p>\n<p>two</p>", follow)),
            NullLogger.Instance, stopping.Token);

        var deadline = DateTime.UtcNow + Wait;
        while (host.Watch.LiveQueries < follow.Length && DateTime.UtcNow < deadline) await Task.Delay(50);
        host.Watch.LiveQueries.Should().Be(follow.Length, "one live query per journal the page follows");
        served.IsCompleted.Should().BeFalse("the stream stays open while the browser does");

        if (browserGoes) await aborted.CancelAsync();
        else await stopping.CancelAsync();
        await served.WaitAsync(Wait);
        host.Watch.LiveQueries.Should().Be(0, "a stream that ended leaves no query running");
        context.Response.ContentType.Should().Be("text/event-stream; charset=utf-8");
        System.Text.Encoding.UTF8.GetString(body.ToArray()).Should().Be("retry: 3000\n\ndata: <p>one</p>\ndata: <p>two</p>\n\n");
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _dir.Dispose();
    }
}
