using Akka.Actor;
using Akka.Cluster;

namespace Orchestrator.Runtime.Hosting;

/// <summary>
/// Ends a worker node stranded on an island: its view of the cluster holds no coordinator that is not downed. After a
/// partition the two sides can down each other (the rest downs this node, this node's own resolver or gossip downs the
/// rest); the rest then never gossips to it again, so it never learns it was downed and would run on alone, taking no
/// work. Past <see cref="Bound"/> without a coordinator it shuts down for the reason <see cref="StrandedReason"/>; the
/// process exits non-zero and its supervisor starts it afresh, joining the seeds again.
/// </summary>
public sealed class IslandWatch : ReceiveActor, IWithTimers
{
    /// <summary>The shutdown reason of a stranded node: like a downing, its trials may run elsewhere by now.</summary>
    public sealed class StrandedReason : CoordinatedShutdown.Reason
    {
        public static readonly StrandedReason Instance = new();
        private StrandedReason() { }
        public override int ExitCode => 1;
    }

    private sealed record Expired;

    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly TimeSpan _bound;
    private readonly IRunObserver _observer;

    public ITimerScheduler Timers { get; set; } = null!;

    public IslandWatch(TimeSpan bound, IRunObserver observer)
    {
        _bound = bound;
        _observer = observer;
        Watching();
    }

    public static Props Props(TimeSpan bound, IRunObserver observer) => Akka.Actor.Props.Create(() => new IslandWatch(bound, observer));

    /// <summary>How long a node may see no coordinator: twice the time the cluster takes to remove a crashed node, so a
    /// restarted coordinator (which waits that long before joining) is let in well before.</summary>
    public static TimeSpan Bound(Akka.Configuration.Config config) => OrchestratorNode.RemovalAfter(config) * 2;

    /// <summary>Whether <paramref name="members"/> hold no coordinator that is joining, up or leaving.</summary>
    public static bool Stranded(IEnumerable<Member> members) =>
        !members.Any(m => m.HasRole(NodeOptions.CoordinatorRole) &&
                          m.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up or MemberStatus.Leaving);

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    /// <summary>A coordinator is in view: the count starts when none is.</summary>
    private void Watching() => ReceiveViews(stranded =>
    {
        if (!stranded) return;
        Timers.StartSingleTimer(nameof(Expired), new Expired(), _bound);
        Become(Counting);
    });

    /// <summary>None is in view: one coming back cancels the count; the count running out ends the node.</summary>
    private void Counting()
    {
        ReceiveViews(stranded =>
        {
            if (stranded) return;
            Timers.Cancel(nameof(Expired));
            Become(Watching);
        });
        Receive<Expired>(_ =>
        {
            _observer.Note($"no coordinator in this node's view of the cluster for {_bound.TotalSeconds:0} s (every one downed or gone); " +
                           "leaving this island to start afresh");
            CoordinatedShutdown.Get(Context.System).Run(StrandedReason.Instance);
            Context.Stop(Self);
        });
    }

    private void ReceiveViews(Action<bool> onView)
    {
        Receive<ClusterEvent.CurrentClusterState>(s => onView(Stranded(s.Members)));
        Receive<ClusterEvent.IMemberEvent>(_ => onView(Stranded(_cluster.State.Members)));
    }
}
