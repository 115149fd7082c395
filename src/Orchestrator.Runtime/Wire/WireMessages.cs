using System.Collections.Frozen;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Hosting;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Wire;

/// <summary>A registered wire message: its type, the short name it travels under, and a sample of it with every field
/// set (the node's warm-up and the tests round-trip it).</summary>
public sealed record WireType(string Name, Type Type, IWireMessage Sample);

/// <summary>
/// The closed list of the messages that cross the network, each under a short name that is fixed for ever: a node of
/// the next build must read what this one sends, so a type may be renamed or moved but its name here stays, and a name
/// is never given to another type. A new message is added here, with a sample that sets every field.
/// </summary>
public static class WireMessages
{
    private const string Node = "akka.tcp://orchestrator@10.0.0.1:4053";
    private const string OtherNode = "akka.tcp://orchestrator@10.0.0.2:4053";
    private static readonly SweepId Sweep = new("sw-warm-up");
    private static readonly TrialId Trial = new("t-warm-up");
    private static readonly TrialId OtherTrial = new("t-warm-up-2");

    private static readonly WorkReturned Returned = new("slot-0", Trial, 2, new TrialExit(TrialEnd.Completed, false, 9, 0.25), true);

    private static readonly SweepPlan Plan = new([new CellPlan("resnet18/dynamic", [Trial, OtherTrial], [1, 3])], 3, [4, 5]);

    private static readonly Dictionary<string, int> Counts = new(StringComparer.Ordinal) { ["completed"] = 2, ["running"] = 1 };

    public static IReadOnlyList<WireType> All { get; } =
    [
        // The sweep coordinator's protocol (CoordinatorProtocol.cs): the CLI and the slots to the singleton, and back.
        Entry("launch-sweep", new LaunchSweep(Sweep, "warm-up", [Trial, OtherTrial], Plan)),
        Entry("sweep-launch-accepted", new SweepLaunchAccepted(Sweep, 2, 1, true)),
        Entry("control-sweep", new ControlSweep(Sweep, true)),
        Entry("sweep-controlled", new SweepControlled(Sweep, true, Counts)),
        Entry("unknown-sweep", new UnknownSweep(Sweep)),
        Entry("get-sweep-state", new GetSweepState(Sweep)),
        Entry("sweep-state", new SweepState(Sweep, true, Counts)),
        Entry("get-queue-status", new GetQueueStatus()),
        Entry("queue-status", new QueueStatus(Node, 3, [new RunningAssignment(Trial, Sweep, "slot-0", 2)],
            [new SlotSummary("slot-0", Node, true, false), new SlotSummary("slot-1", OtherNode, false, true)])),
        Entry("flush-rows", new FlushRows()),
        Entry("rows-flushed", new RowsFlushed()),
        Entry("register-slot", new RegisterSlot("slot-0", new AssignmentRef(Trial, 2), new AssignmentRef(OtherTrial, 3), true, true, Sweep,
            new AssignmentRef(OtherTrial, 3), [Returned, Returned with { Exit = TrialExit.Interrupted }, Returned with { Exit = null },
            Returned with { Exit = new TrialExit(null, true, 3, double.PositiveInfinity) }])),
        Entry("request-work", new RequestWork("slot-0", Sweep)),
        Entry("withdraw-request", new WithdrawRequest("slot-0")),
        Entry("work-assigned", new WorkAssigned(Trial, Sweep, 2, new RungOrder(1, 3, true, 2))),
        Entry("work-rejected", new WorkRejected(Trial, 2)),
        Entry("work-returned", Returned),
        Entry("stop-trial", new StopTrial(StopCause.NodeDowned, Trial)),

        // The operations actors' protocol (NodeProtocol.cs): the CLI to a node, and node to node.
        Entry("drain-node", new DrainNode(Node, true)),
        Entry("node-drained", new NodeDrained(Node, true, 2)),
        Entry("get-cluster-view", new GetClusterView()),
        Entry("cluster-view", new ClusterView(Node, Node, new Dictionary<string, string?>(StringComparer.Ordinal) { ["coordinator"] = Node, ["worker"] = null },
            Node, [new MemberView(Node, ["coordinator", "worker"], "up", true, 2, 1, 1, "1.2.3", 12.5), new MemberView(OtherNode, ["worker"], "leaving", false, 0, 0, 0)],
            3, 1)),
        Entry("get-node-info", new GetNodeInfo()),
        Entry("node-info", new NodeInfo(Node, "1.2.3", new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(1)))),
        Entry("member-command", new MemberCommand(MembershipVerb.Down, Node)),
        Entry("member-command-result", new MemberCommandResult(MembershipVerb.Leave, [Node, OtherNode], "warm-up")),
        Entry("get-actor-tree", new GetActorTree(Node, "/user", 2)),
        Entry("actor-tree", new ActorTree(Node, [new ActorEntry("/user/slot-0/trial-t-warm-up-2", Trial, "resnet18", "training, epoch 2 of 10"),
            new ActorEntry("/user/node", null, null, null)])),
        Entry("get-live-trials", new GetLiveTrials()),
        Entry("get-local-trials", new GetLocalTrials()),
        Entry("live-trials", new LiveTrials([new LiveTrial(Trial, Node, "slot-0", "resnet18", "training", 3, true, 10, 2, 4, 1, 5, 2)], [OtherNode])),
        Entry("join-cluster", new JoinCluster("10.0.0.2:4053", 30.5)),
        Entry("join-result", new JoinResult(Node, OtherNode, "joined", 3, "warm-up")),

        // The control facade's (ControlProtocol.cs): the CLI's signed commands and its refusals.
        Entry("signed-command", new SignedCommand(nameof(DrainNode), """{"address":"10.0.0.1:4053","draining":true}""", 1_767_225_600_000,
            "bm9uY2Ugb2YgdGhlIHdhcm0tdXA=", "operator@host", "bWFj", "Y2VydGlmaWNhdGU=")),
        Entry("control-refused", new ControlRefused("warm-up")),
    ];

    private static readonly FrozenDictionary<string, WireType> ByName = All.ToFrozenDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly FrozenDictionary<Type, string> NameByType = All.ToFrozenDictionary(t => t.Type, t => t.Name);

    /// <summary>The name <paramref name="type"/> travels under; null: it is not registered.</summary>
    public static string? NameOf(Type type) => NameByType.GetValueOrDefault(type);

    /// <summary>The type registered under <paramref name="name"/>; null: none in this build.</summary>
    public static Type? TypeNamed(string name) => ByName.GetValueOrDefault(name)?.Type;

    /// <summary>The types among <paramref name="types"/> that are marked <see cref="IWireMessage"/> but not registered.</summary>
    public static IReadOnlyList<Type> Unregistered(IEnumerable<Type> types) =>
        types.Where(t => t is { IsAbstract: false, IsInterface: false } && t.IsAssignableTo(typeof(IWireMessage)) && !NameByType.ContainsKey(t)).ToList();

    /// <summary>Run before an actor system starts: a message type that would cross the network with no name to travel
    /// under stops the process here, not on the first send.</summary>
    /// <exception cref="InvalidOperationException">One of <paramref name="types"/> is marked but not registered.</exception>
    public static void EnsureRegistered(IEnumerable<Type> types)
    {
        var missing = Unregistered(types);
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"{string.Join(", ", missing.Select(t => t.FullName))}: marked {nameof(IWireMessage)} but not registered in {nameof(WireMessages)} " +
                "(give each a short name and a sample there)");
    }

    /// <summary><see cref="EnsureRegistered"/> over this assembly's types, once per process.</summary>
    public static void EnsureComplete() => _ = Complete.Value;

    private static readonly Lazy<bool> Complete = new(() =>
    {
        EnsureRegistered(typeof(IWireMessage).Assembly.GetTypes());
        return true;
    });

    private static WireType Entry<T>(string name, T sample) where T : class, IWireMessage => new(name, typeof(T), sample);
}
