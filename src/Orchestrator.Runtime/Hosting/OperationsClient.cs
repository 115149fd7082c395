using System.Collections.Immutable;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Orchestrator.Domain;
using Orchestrator.Runtime.Sweeps;

namespace Orchestrator.Runtime.Hosting;

/// <summary>No contact point answered within the timeout.</summary>
public sealed class ClusterUnreachableException(string message) : Exception(message);

/// <summary>
/// The CLI's and the dashboard's way into a running cluster: a ClusterClient (not a member: it joins nothing, takes
/// part in no vote) to the receptionists of the contact points, with a small actor system of its own on loopback.
/// </summary>
public sealed class OperationsClient : IAsyncDisposable
{
    private readonly HostedActorSystem _hosted;
    private readonly ActorSystem _system;
    private readonly IActorRef _client;
    private readonly IReadOnlyList<SeedAddress> _contacts;
    private readonly ICommandSigner? _signer;

    private OperationsClient(HostedActorSystem hosted, IActorRef client, IReadOnlyList<SeedAddress> contacts, ICommandSigner? signer)
    {
        _signer = signer;
        _hosted = hosted;
        _system = hosted.System;
        _client = client;
        _contacts = contacts;
    }

    /// <summary>Whether anything listens at one of the contact points (a second each at most).</summary>
    public static async Task<bool> AnyListeningAsync(IReadOnlyList<SeedAddress> contacts, CancellationToken ct)
    {
        foreach (var contact in contacts)
        {
            using var tcp = new TcpClient();
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await tcp.ConnectAsync(contact.Host, contact.Port, wait.Token);
                return true;
            }
            catch (SocketException)
            {
                // Refused or unresolvable: try the next.
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // No answer within a second: try the next.
            }
        }
        return false;
    }

    /// <param name="signer">Signs the commands that change the cluster (null: only queries can be asked).</param>
    public static OperationsClient Start(IReadOnlyList<SeedAddress> contacts, string host = "127.0.0.1", ICommandSigner? signer = null)
    {
        ArgumentNullException.ThrowIfNull(contacts);
        var tls = RemoteTlsSettings.FromEnvironment(Environment.GetEnvironmentVariable);
        var hosted = HostedActorSystem.Start($"{RuntimeConfig.SystemName}-cli", builder => builder.Client(host, tls));
        var system = hosted.System;
        var paths = contacts.Select(c => ActorPath.Parse($"{c.AkkaAddress}/system/receptionist")).ToImmutableHashSet();
        var client = system.ActorOf(ClusterClient.Props(ClusterClientSettings.Create(system).WithInitialContacts(paths)), "client");
        return new OperationsClient(hosted, client, contacts, signer);
    }

    /// <summary>Asks the read-only query endpoint of one node: the contact point's own (local affinity), not one picked
    /// at random, which may be a node that died and has not been removed yet.</summary>
    public Task<object> AskNodeAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(new ClusterClient.Send($"/user/{QueryEndpoint.Name}", message, localAffinity: true), timeout, ct);

    /// <summary>Tells every node's query endpoint; the first answer comes back.</summary>
    public Task<object> AskEveryNodeAsync(object message, TimeSpan timeout, CancellationToken ct) =>
        AskAsync(new ClusterClient.SendToAll($"/user/{QueryEndpoint.Name}", message), timeout, ct);

    /// <summary>A command that changes the cluster, signed with the control key or operator certificate, to the control facade of the contact
    /// point's node (or, <paramref name="everyNode"/>, of every node: the first answer comes back). A refusal is bad input.</summary>
    /// <exception cref="InvalidInputException">No key, or the cluster refused the command.</exception>
    public async Task<object> CommandAsync(object command, TimeSpan timeout, CancellationToken ct, bool everyNode = false)
    {
        var path = $"/user/{ControlFacade.Name}";
        var signed = Sign(command);
        return Accepted(await AskAsync(everyNode ? new ClusterClient.SendToAll(path, signed) : (object)new ClusterClient.Send(path, signed, localAffinity: true),
            timeout, ct).ConfigureAwait(false));
    }

    /// <summary>A signed command to the control facade of the one contact point straight over remoting, not through a
    /// receptionist: a node that is in no cluster yet (still trying seeds that never answered) has no receptionist
    /// contacts to give.</summary>
    public async Task<object> CommandContactNodeAsync(object command, TimeSpan timeout, CancellationToken ct)
    {
        var signed = Sign(command);
        return Accepted(await AskAsync(() => _system.ActorSelection($"{_contacts[0].AkkaAddress}/user/{ControlFacade.Name}").Ask<object>(signed, timeout, ct),
            timeout).ConfigureAwait(false));
    }

    private SignedCommand Sign(object command) =>
        (_signer ?? throw new InvalidInputException($"no control key: commands that change the cluster are signed with it; {ControlKey.HowToConfigure}"))
        .Sign(command, DateTimeOffset.UtcNow);

    private static object Accepted(object answer) =>
        answer is ControlRefused refused ? throw new InvalidInputException($"the cluster refused the command: {refused.Reason}") : answer;

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

    public async ValueTask DisposeAsync() => await _hosted.DisposeAsync().ConfigureAwait(false);
}
