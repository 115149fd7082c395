using Akka.Actor;
using System.Collections.Immutable;
using Akka.Cluster.Tools.Client;

namespace Orchestrator.Runtime.Hosting;

/// <summary>No contact point answered within the timeout.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);

/// <summary>
/// The CLI's way into a running cluster: a ClusterClient (not a member: it joins nothing, takes part in no vote) to the
/// receptionists of the contact points, with a small actor system of its own on loopback.
/// </summary>
public sealed class OperationsClient : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private readonly IReadOnlyList<SeedAddress> _contacts;

    private OperationsClient(ActorSystem system, IActorRef client, IReadOnlyList<SeedAddress> contacts)
    {
        _system = system;
        _client = client;
        _contacts = contacts;
    }

    public static OperationsClient Start(IReadOnlyList<SeedAddress> contacts, string host = "127.0.0.1")
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var system = ActorSystem.Create($"{RuntimeConfig.SystemName}-cli", RuntimeConfig.Setup(RuntimeConfig.Client(host)));
        var paths = contacts.Select(c => ActorPath.Parse($"{c.AkkaAddress}/system/receptionist")).ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(paths)), "client");
        return new OperationsClient(system, client, contacts);
    }

    /// <summary>Asks the coordinator singleton (through the proxy of whichever node the client reached).</summary>
    public Task<object> AskCoordinatorAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(new ClusterClient.Send($"/user/{OrchestratorNode.CoordinatorProxyName}", message, localAffinity: true), timeout, ct);

    /// <summary>Asks the operations actor of one node: the contact point's own (local affinity), not one picked at
    /// random, which may be a node that died and has not been removed yet.</summary>
    public Task<object> AskNodeAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(new ClusterClient.Send($"/user/{NodeActor.Name}", message, localAffinity: true), timeout, ct);

    /// <summary>Tells every node's operations actor; the first answer comes back.</summary>
    public Task<object> AskEveryNodeAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(new ClusterClient.SendToAll($"/user/{NodeActor.Name}", message), timeout, ct);

    /// <summary>Asks the operations actor of the one contact point straight over remoting, not through a receptionist:
    /// a node that is in no cluster yet (still trying seeds that never answered) has no receptionist contacts to give.</summary>
    public Task<object> AskContactNodeAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(() => _system.ActorSelection($"{_contacts[0].AkkaAddress}/user/{NodeActor.Name}").Ask<object>(message, timeout, ct), timeout);

    private Task<object> AskAsync(object envelope, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(() => _client.Ask<object>(envelope, timeout, ct), timeout);

    private async Task<object> AskAsync(Func<Task<object>> ask, TimeSpan timeout)
    {
        try
        {
            return await ask().ConfigureAwait(false);
        }
        catch (AskTimeoutException)
        {
            throw new ClusterUnreachableException(
                $"no answer from the cluster at {string.Join(", ", _contacts)} within {timeout.TotalSeconds:0.#} s " +
                "(is a coordinator running? see --contact, --seed or ORCHESTRATOR_SEEDS)");
        }
    }

    public async ValueTask DisposeAsync() => await _system.Terminate().ConfigureAwait(false);
}
