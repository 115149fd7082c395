using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Slots;

namespace Orchestrator.Runtime.Hosting;

/// <summary>Drain (or undrain) the node at <c>Address</c> (every node hears it through ClusterClient's SendToAll; the
/// named one acts and answers with <see cref="NodeDrained"/>).</summary>
public sealed record DrainNode(string Address, bool Draining);

public sealed record NodeDrained(string Address, bool Draining, int Slots);

/// <summary>Answered with <see cref="ClusterView"/>: the cluster as the answering node sees it.</summary>
public sealed record GetClusterView;

public sealed record ClusterView(
    string AnsweredBy,
    string? Leader,
    IReadOnlyDictionary<string, string?> RoleLeaders,
    string? Coordinator,
    IReadOnlyList<MemberView> Members,
    int Pending,
    int Running);

public sealed record MemberView(string Address, IReadOnlyList<string> Roles, string Status, bool Reachable, int Slots, int Busy, int Draining);

/// <summary>
/// This node's operations actor, registered with the ClusterClient receptionist at <c>/user/node</c> so the CLI can ask
/// the running cluster (not the database) what it is doing: cluster view, drain.
/// </summary>
public sealed class NodeActor : ReceiveActor
{
    public const string Name = "node";

    private readonly IActorRef _coordinator;
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly List<IActorRef> _slots = [];
    private bool _draining;

    public NodeActor(IActorRef coordinator)
    {
        _coordinator = coordinator;
        Receive<AddSlot>(add =>
        {
            _slots.Add(add.Slot);
            Context.Watch(add.Slot);
            if (_draining) add.Slot.Tell(new SetDraining(true));
        });
        Receive<Terminated>(t => _slots.Remove(t.ActorRef));
        Receive<DrainNode>(drain =>
        {
            if (!SameNode(drain.Address)) return;
            _draining = drain.Draining;
            foreach (var slot in _slots) slot.Tell(new SetDraining(drain.Draining));
            Sender.Tell(new NodeDrained(_cluster.SelfAddress.ToString(), drain.Draining, _slots.Count));
        });
        ReceiveAsync<GetClusterView>(async _ =>
        {
            var reply = Sender;
            QueueStatus? queue = null;
            try
            {
                queue = await _coordinator.Ask<QueueStatus>(new GetQueueStatus(), TimeSpan.FromSeconds(3));
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                // No coordinator reachable now: the members are still worth showing.
            }
            reply.Tell(View(queue));
        });
    }

    public static Props Props(IActorRef coordinator) => Akka.Actor.Props.Create(() => new NodeActor(coordinator));

    internal sealed record AddSlot(IActorRef Slot);

    private bool SameNode(string address) => Names(address, _cluster.SelfAddress);

    /// <summary>Whether <paramref name="address"/> (a full Akka address, or host:port) is <paramref name="node"/>.</summary>
    public static bool Names(string address, Address node) =>
        string.Equals(address.TrimEnd('/'), node.ToString(), StringComparison.Ordinal)
        || string.Equals(address, $"{node.Host}:{node.Port}", StringComparison.Ordinal);

    private ClusterView View(QueueStatus? queue)
    {
        var state = _cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var slots = queue?.Slots ?? [];
        var members = state.Members.Select(m => new MemberView(
            m.Address.ToString(),
            m.Roles.OrderBy(r => r, StringComparer.Ordinal).ToArray(),
            m.Status.ToString().ToLowerInvariant(),
            !unreachable.Contains(m.Address),
            slots.Count(s => s.Node == m.Address.ToString()),
            slots.Count(s => s.Node == m.Address.ToString() && s.Busy),
            slots.Count(s => s.Node == m.Address.ToString() && s.Draining))).ToList();
        var roles = state.Members.SelectMany(m => m.Roles).Distinct().OrderBy(r => r, StringComparer.Ordinal)
            .ToDictionary(r => r, r => state.RoleLeader(r)?.ToString(), StringComparer.Ordinal);
        return new ClusterView(_cluster.SelfAddress.ToString(), state.Leader?.ToString(), roles, queue?.Node, members,
            queue?.Pending ?? 0, queue?.Running.Count ?? 0);
    }
}
