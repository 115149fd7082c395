using System.Collections.Concurrent;
using Akka.Actor;
using Orchestrator.Domain.Trials;
using Orchestrator.Domain;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Catalogue;

namespace Orchestrator.Dashboard;

/// <summary>A question to the cluster and where it was asked: the answer, or null when no contact point answered.</summary>
public sealed record ClusterAnswer<T>(T? Answer, IReadOnlyList<SeedAddress> Contacts) where T : class;

/// <summary>
/// The dashboard's way into the cluster: the --contact points first, then the nodes the store says its running trials
/// are on (so a `sweep run` on a random port is found too). One ClusterClient per set of contact points is kept for
/// the dashboard's lifetime, since a page poll should not start an actor system.
/// </summary>
public sealed class ClusterProbe(IReadOnlyList<SeedAddress> contacts, string clientHost, TimeSpan timeout, ISweepCatalogue store,
    ICommandSigner? signer = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<OperationsClient>> _clients = new(StringComparer.Ordinal);

    public Task<ClusterAnswer<T>> AskNodeAsync<T>(object message, CancellationToken ct) where T : class =>
        AskAsync<T>((c, w) => c.AskNodeAsync(message, w, ct), ct);

    /// <summary>A command that changes the cluster, signed with the control key or an operator certificate.</summary>
    /// <exception cref="InvalidInputException">No key, or the cluster refused the command.</exception>
    public Task<ClusterAnswer<object>> CommandAsync(object command, CancellationToken ct) =>
        AskAsync<object>((c, w) => c.CommandAsync(command, w, ct), ct);

    private async Task<ClusterAnswer<T>> AskAsync<T>(Func<OperationsClient, TimeSpan, Task<object>> ask, CancellationToken ct) where T : class
    {
        if (await TryAskAsync<T>(contacts, ask, ct) is { } answer) return new ClusterAnswer<T>(answer, contacts);
        var nodes = await StoreNodesAsync(ct);
        return new ClusterAnswer<T>(await TryAskAsync<T>(nodes, ask, ct), [.. contacts, .. nodes]);
    }

    private async Task<T?> TryAskAsync<T>(IReadOnlyList<SeedAddress> at, Func<OperationsClient, TimeSpan, Task<object>> ask, CancellationToken ct) where T : class
    {
        if (at.Count == 0 || !await OperationsClient.AnyListeningAsync(at, ct)) return null;
        try
        {
            return await ask(Client(at), timeout) as T;
        }
        catch (ClusterUnreachableException)
        {
            return null; // listening but not answering: a node still starting, or gone a moment ago
        }
    }

    /// <summary>The nodes of the slots the store's running trials are assigned to (akka.tcp://orchestrator@host:port/user/slot-0).</summary>
    private async Task<IReadOnlyList<SeedAddress>> StoreNodesAsync(CancellationToken ct)
    {
        var nodes = new List<SeedAddress>();
        foreach (var sweep in await store.ListSweepsAsync(ct))
            foreach (var trial in await store.ListTrialsAsync(sweep.Id, ct))
                if (trial is { Status: TrialStatus.Running, AssignedTo: { } slot } && ActorPath.TryParse(slot, out var path)
                    && path.Address is { Host: { } host, Port: { } port })
                    nodes.Add(new SeedAddress(host, port));
        return nodes.Distinct().Except(contacts).ToList();
    }

    private OperationsClient Client(IReadOnlyList<SeedAddress> at) =>
        _clients.GetOrAdd(string.Join(",", at), _ => new Lazy<OperationsClient>(() => OperationsClient.Start(at, clientHost, signer))).Value;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values.Where(c => c.IsValueCreated)) await client.Value.DisposeAsync();
    }
}
