using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Persistence;

namespace Orchestrator.Dashboard;

/// <summary>The dashboard's routes. Unknown ids are a 404 page; anything thrown is a 500 page of one line, its details in
/// the server's log only.</summary>
public static class DashboardApp
{
    private const string Html = "text/html; charset=utf-8";

    public static void Map(WebApplication app, DashboardData data, DashboardAccess access)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            app.Logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await Page(context, StatusCodes.Status500InternalServerError,
                DashboardPages.Message("error", "The dashboard could not answer this request; the details are in its log."));
        }));
        app.Use(async (context, next) =>
        {
            if (await access.AdmitAsync(context)) await next(context);
        });

        var stopping = app.Lifetime.ApplicationStopping;
        app.MapGet("/", async (CancellationToken ct) =>
            Results.Content(DashboardPages.LivePage("cluster and sweeps", "", (await HomeAsync(data, ct)).Data), Html));
        Func<CancellationToken, Task<LiveFrame>> home = ct => HomeAsync(data, ct);
        app.MapGet("/events", (HttpContext context) => DashboardStream.ServeAsync(context, data.Watch, home, app.Logger, stopping));
        app.MapGet("/sweeps/{id}", async (string id, string? notice, HttpContext context, CancellationToken ct) =>
            await data.SweepAsync(id, ct) is { } sweep
                ? Results.Content(DashboardPages.LivePage($"sweep {sweep.Sweep.Name}",
                    DashboardPages.SweepControls(sweep, NoticeText(notice), access.CsrfToken(context)), DashboardPages.SweepLive(sweep)), Html)
                : NotFound($"There is no sweep '{id}' in this store."));
        app.MapGet("/sweeps/{id}/events", async (string id, HttpContext context, CancellationToken ct) =>
        {
            if (await data.SweepAsync(id, ct) is not { } sweep) return NotFound($"There is no sweep '{id}' in this store.");
            await DashboardStream.ServeAsync(context, data.Watch, async c => await data.SweepAsync(sweep.Sweep.Id.Value, c) is { } now
                ? new LiveFrame(DashboardPages.SweepLive(now), DashboardData.Followed([now]))
                : new LiveFrame("<p class=\"note\">this sweep is no longer in the store</p>", []), app.Logger, stopping);
            return Results.Empty;
        });
        app.MapPost("/sweeps/{id}/cancel", (string id, CancellationToken ct) => ControlAsync(data, id, cancel: true, ct));
        app.MapPost("/sweeps/{id}/resume", (string id, CancellationToken ct) => ControlAsync(data, id, cancel: false, ct));
        app.MapGet("/sweeps/{id}/report", async (string id, CancellationToken ct) =>
        {
            if (await data.SweepAsync(id, ct) is not { } sweep) return NotFound($"There is no sweep '{id}' in this store.");
            if (!sweep.Ended)
                return Results.Content(DashboardPages.Message("no report yet", "The sweep has trials still pending or running; its report is written when they have ended."),
                    Html, statusCode: StatusCodes.Status409Conflict);
            return Results.File(await data.ReportAsync(sweep.Sweep, ct), Html);
        });
        app.MapGet("/trials/{id}", async (string id, CancellationToken ct) =>
            await data.TrialAsync(id, ct) is { } trial
                ? Results.Content(DashboardPages.Trial(trial, TrialJournalJson.Serialize(trial)), Html)
                : NotFound($"There is no trial '{id}' in this store."));
        app.MapGet("/trials/{id}/journal.json", async (string id, CancellationToken ct) =>
            await data.TrialAsync(id, ct) is { } trial
                ? Results.Content(TrialJournalJson.Serialize(trial), "application/json")
                : Results.NotFound());
        app.MapGet("/trials/{id}/events", async (string id, HttpContext context, CancellationToken ct) =>
        {
            if (await data.TrialAsync(id, ct) is null) return Results.NotFound();
            // The trial's own journal (its epochs), and the coordinator's (its assignment, cancel, end).
            var follow = new[] { JournalSettings.PersistenceIdOf(id), SweepCoordinator.Id };
            await DashboardStream.ServeAsync(context, data.Watch, async c => new LiveFrame(
                await data.TrialAsync(id, c) is { } now ? TrialJournalJson.Serialize(now) : "null", follow), app.Logger, stopping);
            return Results.Empty;
        });
        app.MapGet("/assets/{name}", (string name) => DashboardAssets.Find(name) is { } asset
            ? Results.Bytes(asset.Content, asset.ContentType)
            : Results.NotFound());
        app.MapFallback(() => NotFound("There is no such page on this dashboard."));
    }

    /// <summary>The home page's live part: the cluster and every sweep.</summary>
    private static async Task<LiveFrame> HomeAsync(DashboardData data, CancellationToken ct)
    {
        var sweeps = await data.SweepsAsync(ct);
        return new LiveFrame(DashboardPages.Home(await data.Cluster.AskNodeAsync<ClusterView>(new GetClusterView(), ct), sweeps), DashboardData.Followed(sweeps));
    }

    private static async Task<IResult> ControlAsync(DashboardData data, string id, bool cancel, CancellationToken ct)
    {
        if (await data.SweepAsync(id, ct) is not { } sweep) return NotFound($"There is no sweep '{id}' in this store.");
        var outcome = await data.ControlAsync(sweep.Sweep, cancel, ct);
        var notice = outcome switch
        {
            ControlOutcome.Done => cancel ? "cancelled" : "resumed",
            ControlOutcome.NeverLaunched => "unlaunched",
            ControlOutcome.Refused => "refused",
            _ => "no-cluster",
        };
        // Post, then redirect, then get: a reload of the page does not post again.
        return Results.Redirect($"/sweeps/{Uri.EscapeDataString(sweep.Sweep.Id.Value)}?notice={notice}", permanent: false, preserveMethod: false);
    }

    /// <summary>The notices a control redirect may name; any other value shows nothing (no text of the URL reaches the page).</summary>
    private static string? NoticeText(string? notice) => notice switch
    {
        "cancelled" => "Cancelled: pending trials are cancelled, running ones stop at their next epoch boundary.",
        "resumed" => "Resumed: the cancelled trials are pending again and continue from their journals.",
        "unlaunched" => "The coordinator does not know this sweep: it was never launched on this cluster (`orchestrator sweep launch` it).",
        "refused" => "The cluster refused the command, so nothing was changed: the dashboard signs cancel and resume with the control key " +
                     "(--key-file or $" + ControlKey.FileVariable + ") or, with TLS, its certificate if marked OU=operator (docs/security.md).",
        "no-cluster" => "No cluster answered, so nothing was changed: cancel and resume are commands to the running coordinator.",
        _ => null,
    };

    private static IResult NotFound(string sentence) =>
        Results.Content(DashboardPages.Message("not found", sentence), Html, statusCode: StatusCodes.Status404NotFound);

    private static async Task Page(HttpContext context, int status, string html)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = Html;
        await context.Response.WriteAsync(html);
    }

    /// <summary>The address as a browser is given it (an IPv6 address in brackets).</summary>
    public static string UrlOf(IPAddress host, int port) =>
        $"http://{(host.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{host}]" : host.ToString())}:{port}/";
}
