using Akka.Actor;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Slots;

/// <summary>Drain (true) or undrain a slot: a draining slot finishes its trial and asks for no new one.</summary>
public sealed record SetDraining(bool Draining);

/// <summary>Stop the running trial at its epoch boundary, hand it back, then stop this slot. <c>Downed</c>: the node is
/// being downed, and the commit under way is dropped too.</summary>
public sealed record HandBackAndStop(bool Downed = false);

/// <summary>
/// One worker slot (a GPU, or a share of the CPU). It registers with the coordinator (through the singleton proxy) at
/// start and every few seconds, asks for work when idle, runs the trial it is given as a supervised child, reports its
/// end and asks again. It trains one trial at a time. When its trial's last step begins (training has stopped, or its
/// last possible epoch is under way) it asks for the next one ahead, which reads its spec and recovers its journal
/// meanwhile, waits at its start gate, and starts once the first is done with the engine (while the first journals
/// its result): the engine thread opens that gate itself, and the slot opens it when told, or when the first has
/// ended. It holds at most that one next trial and refuses more. With <c>onlySweep</c> (a `sweep run`) it takes
/// trials of that sweep only.
/// </summary>
public sealed class SlotActor : ReceiveActor, IWithTimers
{
    // The last ends this slot reported, sent again with each registration: with a next trial held, two ends may be on
    // their way when a coordinator dies.
    private const int ReturnsRemembered = 2;
    // Assignments received lately: one sent again (a registration crossed its first copy) is ignored, even once its
    // trial has ended, instead of being run again or refused (which would hand back a trial that is running).
    private const int ReceivedRemembered = 8;
    private readonly Queue<AssignmentRef> _received = new();
    private readonly IActorRef _coordinator;
    private readonly TrialServices _services;
    private readonly IOrchestratorStore _store;
    private readonly string? _onlySweep;
    private readonly TimeSpan _registerEvery;
    private SlotThreads? _threads;
    private readonly LinkedList<WorkReturned> _returned = new();
    private string _name = "";
    private Running? _running;
    private Running? _next;
    // Asked for the trial after the running one; the held next one (started already) said its last step began.
    private bool _askedAhead;
    private bool _nextFinishing;
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
        Receive<TrialFinishing>(finishing =>
        {
            if (_draining || _stopping) return;
            if (_next?.Ref.TrialId == finishing.TrialId)
            {
                // It started while the running one journals its end: it asks once it is the running one.
                _nextFinishing = true;
                return;
            }
            if (_running?.Ref.TrialId != finishing.TrialId || _next is not null || _askedAhead) return;
            _askedAhead = true;
            _coordinator.Tell(new RequestWork(_name, _onlySweep));
        });
        Receive<TrialEngineDone>(done =>
        {
            // The engine is free: the held trial starts while the running one journals its result (the engine thread
            // has opened its gate already, unless the slot held it only after the engine was free).
            if (_running?.Ref.TrialId != done.TrialId || _next is not { } next) return;
            next.Gate.Open();
        });
        Receive<TrialEnded>(OnEnded);
        Receive<Terminated>(OnTerminated);
        Receive<StopTrial>(OnStop);
        Receive<GetTrialStatus>(query =>
        {
            if (_running?.Trial is { } trial) trial.Forward(query);
            else Sender.Tell(new Akka.Actor.Status.Failure(new InvalidOperationException($"slot {Self.Path.Name} is idle")));
        });
        Receive<SetDraining>(drain =>
        {
            _draining = drain.Draining;
            if (_draining)
            {
                _coordinator.Tell(new WithdrawRequest(_name));
                DropNext(TrialEnd.Interrupted);
            }
            else if (_running is null) _coordinator.Tell(new RequestWork(_name, _onlySweep));
        });
        Receive<HandBackAndStop>(handBack =>
        {
            _stopping = true;
            _coordinator.Tell(new WithdrawRequest(_name));
            DropNext(TrialEnd.Interrupted);
            if (_running is null) Context.Stop(Self);
            else _running.Trial?.Tell(new StopTrial(handBack.Downed ? StopCause.NodeDowned : StopCause.Shutdown));
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
        _threads = new SlotThreads(Self.Path.Name);
        Register();
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, _registerEvery);
    }

    /// <summary>After the trial (a child) has stopped: its last queued work runs, then the threads end.</summary>
    protected override void PostStop() => _threads?.Dispose();

    private void Register() => _coordinator.Tell(new RegisterSlot(_name, _running?.Ref, _received.LastOrDefault(),
        WantsWork: _running is null && !_draining && !_stopping, _draining || _stopping, _onlySweep,
        _next?.Ref, _returned.ToArray()));

    private void OnAssigned(WorkAssigned work)
    {
        var offered = new AssignmentRef(work.TrialId, work.Assignment);
        if (_received.Contains(offered)) return; // sent again (after a takeover, or crossing a registration): had it
        if (_stopping || (_running is not null && (_next is not null || _draining)))
        {
            Sender.Tell(new WorkRejected(work.TrialId, work.Assignment));
            return;
        }
        _received.Enqueue(offered);
        if (_received.Count > ReceivedRemembered) _received.Dequeue();
        var taken = new Running(offered, work.SweepId, null, new StartGate());
        if (_running is null)
        {
            taken.Gate.Open();
            _running = taken;
        }
        else
        {
            _next = taken;
            _threads!.Hold(taken.Gate);
        }
        _askedAhead = false;
        _store.GetTrialAsync(work.TrialId).PipeTo(Self,
            success: row => new SpecLoaded(offered, row),
            failure: ex => new SpecLoaded(offered, null, ex));
    }

    private void OnSpecLoaded(SpecLoaded loaded)
    {
        var held = _next is { Trial: null } next && next.Ref == loaded.Ref;
        if (!held && (_running is not { Trial: null } running || running.Ref != loaded.Ref)) return;
        var taken = held ? _next! : _running!;
        TrialSpec spec;
        try
        {
            spec = loaded.Row is { } row ? TrialSpecJson.Deserialize(row.SpecJson)
                : throw loaded.Failure ?? new InvalidOperationException($"trial {loaded.Ref.TrialId} has no row in the store");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _services.Observer.Note($"[{Self.Path.Name}] {loaded.Ref.TrialId}: cannot read its spec ({ex.Message}); handed back");
            Release(taken, null);
            return;
        }
        if (_stopping)
        {
            Release(taken, TrialEnd.Interrupted);
            return;
        }
        var assignment = new TrialAssignment(loaded.Ref.TrialId, taken.SweepId, spec, Self.Path.Name, taken.Gate);
        // The child's name carries the assignment: a trial handed back and given to this slot again gets a new one.
        var trial = Context.ActorOf(TrialActor.Supervised(assignment, _services, _threads!, Self), $"trial-{loaded.Ref.TrialId}-{loaded.Ref.Assignment}");
        Context.Watch(trial);
        if (held) _next = taken with { Trial = trial };
        else _running = taken with { Trial = trial };
    }

    private void OnEnded(TrialEnded ended)
    {
        var taken = _running?.Ref.TrialId == ended.TrialId ? _running : _next?.Ref.TrialId == ended.TrialId ? _next : null;
        if (taken?.Trial is not { } trial) return;
        _services.Observer.TrialEnded(Self.Path.Name, ended.TrialId, ended.State);
        Context.Unwatch(trial);
        Context.Stop(trial);
        Release(taken, ended.End);
    }

    private void OnTerminated(Terminated terminated)
    {
        var taken = terminated.ActorRef.Equals(_running?.Trial) ? _running : terminated.ActorRef.Equals(_next?.Trial) ? _next : null;
        if (taken is null) return;
        _services.Observer.Note($"[{Self.Path.Name}] {taken.Ref.TrialId}: stopped without finishing; handed back");
        Release(taken, null);
    }

    private void OnStop(StopTrial stop)
    {
        if (stop.TrialId is not null && _next?.Ref.TrialId == stop.TrialId)
            DropNext(stop.End);
        else if (stop.TrialId is null || _running?.Ref.TrialId == stop.TrialId)
            _running?.Trial?.Tell(stop);
    }

    /// <summary>The next trial goes back (a drain, a shutdown, its sweep cancelled): not started yet, or started
    /// moments ago while the running one journals its end (that attempt is then interrupted, its journal kept).</summary>
    private void DropNext(TrialEnd end)
    {
        if (_next is not { } next) return;
        _threads!.Unhold(next.Gate);
        if (next.Trial is { } trial)
        {
            Context.Unwatch(trial);
            Context.Stop(trial);
        }
        Release(next, end);
    }

    private void Release(Running taken, TrialEnd? end)
    {
        if (ReferenceEquals(taken, _next))
        {
            _threads!.Unhold(taken.Gate);
            _next = null;
            _nextFinishing = false;
        }
        else
        {
            _running = _next;
            _next = null;
            _askedAhead = _running is not null && _nextFinishing;
            _nextFinishing = false;
            // The next trial starts now (or, with its spec still loading, as soon as its actor exists).
            if (_running is not null)
            {
                _threads!.Unhold(_running.Gate);
                _running.Gate.Open();
            }
        }
        // The request for the next trial rides on the result (the one after a promoted trial that is finishing
        // already, too): the coordinator journals both in one write.
        var wants = !_stopping && !_draining && (_running is null || (_askedAhead && _next is null));
        var returned = new WorkReturned(_name, taken.Ref.TrialId, taken.Ref.Assignment, end, WantsWork: wants);
        _returned.AddLast(returned);
        if (_returned.Count > ReturnsRemembered) _returned.RemoveFirst();
        _coordinator.Tell(returned);
        if (_stopping && _running is null) Context.Stop(Self);
    }

    private sealed record Running(AssignmentRef Ref, string SweepId, IActorRef? Trial, StartGate Gate);

    private sealed record SpecLoaded(AssignmentRef Ref, TrialRecord? Row, Exception? Failure = null);

    private sealed record RegisterTick
    {
        public static RegisterTick Instance { get; } = new();
    }
}
