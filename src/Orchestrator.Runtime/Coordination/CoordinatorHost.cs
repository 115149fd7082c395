using Akka.Actor;
using Akka.Cluster;
using Orchestrator.Catalogue;
using Orchestrator.Catalogue.Leases;

namespace Orchestrator.Runtime.Coordination;

/// <summary>
/// The cluster singleton on a coordinator node: it takes the store's coordinator lease before it starts the sweep
/// coordinator (under its backoff supervisor), so that two clusters on one store never both write the coordinator's
/// journal, and publishes this node's address for later processes to join. Messages for the coordinator wait
/// (stashed) until the lease is held, and then go to it. A lease lost while hosting (a database session that ended,
/// and another process took the lock) stops the coordinator until the lease is held again.
/// </summary>
public sealed class CoordinatorHost : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    public const string ChildName = "queue-supervisor";
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ConfirmEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SayWaitingEvery = TimeSpan.FromSeconds(15);

    private readonly ICoordinatorLease _lease;
    private readonly Func<Props> _coordinator;
    private readonly IRunObserver _observer;
    private DateTime _waitingSaidAt = DateTime.MinValue;

    public CoordinatorHost(ICoordinatorLease lease, Func<Props> coordinator, IRunObserver observer)
    {
        _lease = lease;
        _coordinator = coordinator;
        _observer = observer;
        Acquiring();
    }

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ICoordinatorLease lease, ISweepCatalogue store, IRunObserver observer, CoordinatorSettings settings) =>
        Akka.Actor.Props.Create(() => new CoordinatorHost(lease, () => SweepCoordinator.Supervised(store, observer, settings), observer));

    protected override void PreStart() => Self.Tell(TryTake.Instance);

    private void Acquiring()
    {
        Receive<TryTake>(_ =>
        {
            var self = Cluster.Get(Context.System).SelfAddress;
            TakeAsync($"{self.Host}:{self.Port}").PipeTo(Self, failure: ex => new Taken(false, null, ex.GetBaseException().Message));
        });
        Receive<Taken>(taken =>
        {
            if (taken.Held)
            {
                Become(Hosting);
                return;
            }
            if (DateTime.UtcNow - _waitingSaidAt >= SayWaitingEvery)
            {
                _waitingSaidAt = DateTime.UtcNow;
                _observer.Note($"coordinator: waiting for the coordinator lease of {_lease.Store}: " +
                               (taken.Error is { } error ? $"the store cannot be reached ({error})" : $"held by {taken.Other?.ToString() ?? "another process"}"));
            }
            Timers.StartSingleTimer(TryTake.Instance, TryTake.Instance, RetryEvery);
        });
        // Left over from a lost lease's hosting.
        Receive<ConfirmTick>(_ => { });
        Receive<Confirmed>(_ => { });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Hosting()
    {
        var child = Context.ActorOf(_coordinator(), ChildName);
        Context.Watch(child);
        Timers.StartPeriodicTimer(ConfirmTick.Instance, ConfirmTick.Instance, ConfirmEvery);
        Stash.UnstashAll();
        Receive<ConfirmTick>(_ => _lease.ConfirmAsync().PipeTo(Self, success: held => new Confirmed(held), failure: _ => new Confirmed(false)));
        Receive<Confirmed>(confirmed =>
        {
            if (confirmed.Held) return;
            _observer.Note($"coordinator: the coordinator lease of {_lease.Store} was lost (another process holds it now); stopping the coordinator here");
            Timers.Cancel(ConfirmTick.Instance);
            Context.Unwatch(child);
            Context.Stop(child);
            Become(Acquiring);
            Self.Tell(TryTake.Instance);
        });
        Receive<Terminated>(t => t.ActorRef.Equals(child), _ => Context.Stop(Self));
        ReceiveAny(message => child.Forward(message));
    }

    private async Task<Taken> TakeAsync(string address)
    {
        if (!await _lease.TryAcquireAsync().ConfigureAwait(false))
            return new Taken(false, await _lease.ReadHolderAsync().ConfigureAwait(false), null);
        await _lease.PublishAsync(CoordinatorHolder.OfThisProcess(address, DateTimeOffset.UtcNow)).ConfigureAwait(false);
        return new Taken(true, null, null);
    }

    private sealed record TryTake
    {
        public static TryTake Instance { get; } = new();
    }

    private sealed record Taken(bool Held, CoordinatorHolder? Other, string? Error);

    private sealed record ConfirmTick
    {
        public static ConfirmTick Instance { get; } = new();
    }

    private sealed record Confirmed(bool Held);
}
