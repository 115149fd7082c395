using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// An actor system made by Akka.Hosting inside a generic host of its own: the builder (<see cref="RuntimeConfig"/>)
/// says what the system is, the host starts it and runs its start-up actors. The process is the CLI's, not the host's:
/// the host is never run as an application, only started and stopped.
/// </summary>
public sealed class HostedActorSystem : IAsyncDisposable
{
    private readonly IHost _host;

    private HostedActorSystem(IHost host)
    {
        _host = host;
        System = host.Services.GetRequiredService<ActorSystem>();
        Registry = host.Services.GetRequiredService<IActorRegistry>();
    }

    public ActorSystem System { get; }

    /// <summary>The actors the builder's start-up registered (the coordinator's proxy on a node).</summary>
    public IActorRegistry Registry { get; }

    public static async Task<HostedActorSystem> StartAsync(string name, Action<AkkaConfigurationBuilder> configure, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var host = new HostBuilder()
            // Akka's events go to ProcessLogger (RuntimeConfig); nothing of the host's own goes to the terminal.
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services => services.AddAkka(name, builder => configure(builder)))
            .Build();
        try
        {
            await host.StartAsync(ct).ConfigureAwait(false);
            return new HostedActorSystem(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>For callers that cannot await (a constructor); never on an actor's thread.</summary>
    public static HostedActorSystem Start(string name, Action<AkkaConfigurationBuilder> configure) =>
        StartAsync(name, configure).GetAwaiter().GetResult();

    /// <summary>Terminates the actor system (when it has not terminated yet), then stops the host.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}
