using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestrator.Domain;

namespace Orchestrator.Dashboard;

/// <summary>The dashboard on Kestrel: it listens, says where on stdout, and serves until the token is cancelled.</summary>
public static class DashboardServer
{
    /// <summary>Serves until <paramref name="ct"/> is cancelled (the caller owns Ctrl+C and SIGTERM), then stops.</summary>
    /// <exception cref="InvalidInputException">It cannot listen on that address and port.</exception>
    public static async Task ServeAsync(IPAddress address, int port, DashboardData data, DashboardAccess access, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [], ContentRootPath = AppContext.BaseDirectory,
            // Never Development, whose exception page would show a stack trace to the browser.
            EnvironmentName = Microsoft.Extensions.Hosting.Environments.Production,
        });
        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        // Errors only, to stderr: a request line at Information would carry a ?token= in its URL.
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft", LogLevel.Error).SetMinimumLevel(LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The caller owns Ctrl+C and SIGTERM (the token); the host's own handlers would race it.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, CallerLifetime>();
        await using var app = builder.Build();
        DashboardApp.Map(app, data, access);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex)
        {
            throw new InvalidInputException($"--host/--port: cannot listen on {address}:{port} ({ex.Message})");
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        var url = bound is null ? DashboardApp.UrlOf(address, port) : bound.TrimEnd('/') + "/";
        Console.WriteLine($"dashboard: {url}{(access.RequiresToken ? " (every request needs the token)" : "")}; Ctrl+C stops it");
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: stop below.
        }
        await app.StopAsync(CancellationToken.None);
        Console.WriteLine("dashboard stopped");
    }

    /// <summary>A host lifetime that leaves the process's signals to the caller.</summary>
    private sealed class CallerLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
