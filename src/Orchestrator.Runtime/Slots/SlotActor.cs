using Akka.Actor;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Slots;

/// <summary>Drain (true) or undrain a slot: a draining slot finishes its trial and asks for no new one.</summary>
public sealed record SetDraining(bool Draining);

/// <summary>Stop the running trial at its epoch boundary, hand it back, then stop this slot.</summary>
public sealed record HandBackAndStop;

/// <summary>
/// One worker slot (a GPU, or a share of the CPU). It registers with the coordinator (through the singleton proxy) at
/// start and every few seconds, asks for work when idle, runs the trial it is given as a supervised child, reports its
/// end and asks again. It runs at most one trial at a time and refuses a second. With <c>onlySweep</c> (a `sweep run`)
/// it takes trials of that sweep only.
/// </summary>
public sealed class SlotActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _coordinator;
    private readonly TrialServices _services;
    private readonly IOrchestratorStore _store;
    private readonly string? _onlySweep;
    private readonly TimeSpan _registerEvery;
    private string _name = "";
    private Running? _running;
    private AssignmentRef? _lastReceived;
    private WorkReturned? _lastReturned;
    private bool _draining;
    private bool _stopping;

    public SlotActor(IActorRef coordinator, TrialServices services, IOrchestratorStore store, string? onlySweep, TimeSpan registerEvery)
    {
        _coordinator = coordinator;
        _services = services;
        _store = store;
        _onlySweep = onlySweep;
        _registerEvery = registerEvery;

        Receive<WorkAssigned>(OnAssigned);
        Receive<SpecLoaded>(OnSpecLoaded);
        Receive<TrialEnded>(OnEnded);
        Receive<Terminated>(OnTerminated);
        Receive<StopTrial>(stop => _running?.Trial?.Tell(stop));
        Receive<GetTrialStatus>(query =>
        {
            if (_running?.Trial is { } trial) trial.Forward(query);
            else Sender.Tell(new Akka.Actor.Status.Failure(new InvalidOperationException($"slot {Self.Path.Name} is idle")));
        });
        Receive<SetDraining>(drain =>
        {
            _draining = drain.Draining;
            if (_draining) _coordinator.Tell(new WithdrawRequest(_name));
            else if (_running is null) _coordinator.Tell(new RequestWork(_name, _onlySweep));
        });
        Receive<HandBackAndStop>(_ =>
        {
            _stopping = true;
            _coordinator.Tell(new WithdrawRequest(_name));
            if (_running is null) Context.Stop(Self);
            else _running.Trial?.Tell(new StopTrial(StopCause.Shutdown));
        });
        Receive<RegisterTick>(_ => Register());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator, TrialServices services, IOrchestratorStore store, string? onlySweep, TimeSpan registerEvery) =>
        Akka.Actor.Props.Create(() => new SlotActor(coordinator, services, store, onlySweep, registerEvery));

    protected override void PreStart()
    {
        // The slot's name is its full actor path: unique in the cluster, and it names the node the trial runs on.
        _name = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        Register();
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, _registerEvery);
    }

    private void Register() => _coordinator.Tell(new RegisterSlot(_name, _running?.Ref, _lastReceived,
        WantsWork: _running is null && !_draining && !_stopping, _draining || _stopping, _onlySweep, _lastReturned));

    private void OnAssigned(WorkAssigned work)
    {
        var offered = new AssignmentRef(work.TrialId, work.Assignment);
        if (_running?.Ref == offered) return; // sent again after a takeover: already ours
        if (_running is not null || _stopping)
        {
            Sender.Tell(new WorkRejected(work.TrialId, work.Assignment));
            return;
        }
        _lastReceived = offered;
        _running = new Running(offered, work.SweepId, null);
        var store = _store;
        store.GetTrialAsync(work.TrialId).PipeTo(Self,
            success: row => new SpecLoaded(offered, row),
            failure: ex => new SpecLoaded(offered, null, ex));
    }

    private void OnSpecLoaded(SpecLoaded loaded)
    {
        if (_running is not { Trial: null } running || running.Ref != loaded.Ref) return;
        TrialSpec spec;
        try
        {
            spec = loaded.Row is { } row ? TrialSpecJson.Deserialize(row.SpecJson)
                : throw loaded.Failure ?? new InvalidOperationException($"trial {loaded.Ref.TrialId} has no row in the store");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _services.Observer.Note($"[{Self.Path.Name}] {loaded.Ref.TrialId}: cannot read its spec ({ex.Message}); handed back");
            Release(running, null);
            return;
        }
        if (_stopping)
        {
            Release(running, TrialEnd.Interrupted);
            return;
        }
        var assignment = new TrialAssignment(loaded.Ref.TrialId, running.SweepId, spec, Self.Path.Name);
        // The child's name carries the assignment: a trial handed back and given to this slot again gets a new one.
        var trial = Context.ActorOf(TrialActor.Supervised(assignment, _services, Self), $"trial-{loaded.Ref.TrialId}-{loaded.Ref.Assignment}");
        Context.Watch(trial);
        _running = running with { Trial = trial };
    }

    private void OnEnded(TrialEnded ended)
    {
        if (_running is not { Trial: { } trial } running || running.Ref.TrialId != ended.TrialId) return;
        _services.Observer.TrialEnded(Self.Path.Name, ended.TrialId, ended.State);
        Context.Unwatch(trial);
        Context.Stop(trial);
        Release(running, ended.End);
    }

    private void OnTerminated(Terminated terminated)
    {
        if (_running is not { } running || !terminated.ActorRef.Equals(running.Trial)) return;
        _services.Observer.Note($"[{Self.Path.Name}] {running.Ref.TrialId}: stopped without finishing; handed back");
        Release(running, null);
    }

    private void Release(Running running, TrialEnd? end)
    {
        _running = null;
        // The request for the next trial rides on the result: the coordinator journals both in one write.
        _lastReturned = new WorkReturned(_name, running.Ref.TrialId, running.Ref.Assignment, end, WantsWork: !_stopping && !_draining);
        _coordinator.Tell(_lastReturned);
        if (_stopping) Context.Stop(Self);
    }

    private sealed record Running(AssignmentRef Ref, string SweepId, IActorRef? Trial);

    private sealed record SpecLoaded(AssignmentRef Ref, TrialRecord? Row, Exception? Failure = null);

    private sealed record RegisterTick
    {
        public static RegisterTick Instance { get; } = new();
    }
}
