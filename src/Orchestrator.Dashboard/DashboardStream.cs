using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Orchestrator.Runtime.Persistence;

namespace Orchestrator.Dashboard;

/// <summary>What a live page shows now (the data of one server-sent event), and the journals whose next event may change it.</summary>
public sealed record LiveFrame(string Data, IReadOnlyCollection<string> Follow);

/// <summary>
/// A live page's updates as server-sent events (<c>text/event-stream</c>): the page's data is rendered again when an
/// event is journaled under one of the persistence ids it follows (<see cref="JournalWatch"/>: Akka.Persistence.Query
/// live queries), and sent when it changed; the browser asks for nothing. The store's trial rows follow the
/// coordinator's journal a moment later and the cluster's membership is in no journal: the data is rendered again
/// <see cref="Settle"/> after each change and every <see cref="Recheck"/>, and sent only when it changed.
/// Every wait is bounded; the stream ends when the browser goes (its query watches let go) or the dashboard stops.
/// </summary>
public static class DashboardStream
{
    /// <summary>Events landing together (an epoch's few events) are rendered once.</summary>
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    /// <summary>A comment line at least this often, so that proxies keep an idle stream open.</summary>
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>The browser's wait before it reconnects to a stream that ended (the dashboard restarting).</summary>
    private const int RetryMilliseconds = 3000;

    public static async Task ServeAsync(HttpContext context, JournalWatch watch, Func<CancellationToken, Task<LiveFrame>> render,
        ILogger log, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentNullException.ThrowIfNull(render);
        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front must not hold the events back
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var ct = ending.Token;
        using var changes = watch.Watch();
        try
        {
            await WriteAsync(response, $"retry: {RetryMilliseconds}\n\n", ct);
            string? sent = null;
            var written = DateTime.UtcNow;
            var settling = false;
            while (!ct.IsCancellationRequested)
            {
                if (await RenderAsync(render, log, context.Request.Path, ct) is { } frame)
                {
                    changes.Follow(frame.Follow);
                    if (frame.Data != sent)
                    {
                        await WriteAsync(response, Event(frame.Data), ct);
                        (sent, written) = (frame.Data, DateTime.UtcNow);
                    }
                }
                if (DateTime.UtcNow - written >= KeepAlive)
                {
                    await WriteAsync(response, ": keep-alive\n\n", ct);
                    written = DateTime.UtcNow;
                }
                settling = await changes.WaitAsync(settling ? Settle : Recheck, ct);
                if (settling) await Task.Delay(Coalesce, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The browser went, or the dashboard is stopping: the response ends here.
        }
        catch (IOException)
        {
            // The connection broke under a write.
        }
    }

    /// <summary>Null when the store or the cluster failed this time (logged); the next change or recheck tries again.</summary>
    private static async Task<LiveFrame?> RenderAsync(Func<CancellationToken, Task<LiveFrame>> render, ILogger log, PathString path, CancellationToken ct)
    {
        try
        {
            return await render(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            log.LogWarning(ex, "{Path}: the live update failed; trying again at the next change", path);
            return null;
        }
    }

    /// <summary>One event of the stream: each line of the data as a data line (the browser joins them with newlines).</summary>
    internal static string Event(string data) =>
        "data: " + data.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "\ndata: ", StringComparison.Ordinal) + "\n\n";

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct);
        await response.Body.FlushAsync(ct);
    }
}
