using Akka.Actor;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Coordination;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;

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
/// <para>Its mode is its behaviour: <see cref="Idle"/> (no trial: it wants work) → <see cref="Training"/> (one
/// trial) → <see cref="AskingAhead"/> (that trial's last step has begun: a request for the next one is out) →
/// <see cref="Holding"/> (a next trial held behind the running one, which takes its place when it ends);
/// <see cref="Draining"/> (it finishes its trial and takes no new one, holding none) and <see cref="Stopping"/>
/// (it hands its trial back, then stops) from any of those. The trials themselves (the running one, the held one)
/// are data; when one goes, the mode decides what the slot becomes and whether it wants work.</para>
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
    private readonly ISweepCatalogue _store;
    private readonly SweepId? _onlySweep;
    private readonly TimeSpan _registerEvery;
    private SlotThreads? _threads;
    private readonly LinkedList<WorkReturned> _returned = new();
    private string _name = "";
    private Running? _running;
    private Running? _next;

    public SlotActor(IActorRef coordinator, TrialServices services, ISweepCatalogue store, SweepId? onlySweep, TimeSpan registerEvery)
    {
        _coordinator = coordinator;
        _services = services;
        _store = store;
        _onlySweep = onlySweep;
        _registerEvery = registerEvery;
        Idle();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef coordinator, TrialServices services, ISweepCatalogue store, SweepId? onlySweep, TimeSpan registerEvery) =>
        Akka.Actor.Props.Create(() => new SlotActor(coordinator, services, store, onlySweep, registerEvery));

    protected override void PreStart()
    {
        // The slot's name is its full actor path: unique in the cluster, and it names the node the trial runs on.
        _name = Self.Path.ToStringWithAddress(((ExtendedActorSystem)Context.System).Provider.DefaultAddress);
        _threads = new SlotThreads(Self.Path.Name);
        Register(wantsWork: true, draining: false);
        Timers.StartPeriodicTimer("register", RegisterTick.Instance, _registerEvery);
    }

    /// <summary>After the trial (a child) has stopped: its last queued work runs, then the threads end.</summary>
    protected override void PostStop() => _threads?.Dispose();

    /// <summary>No trial: it wants work.</summary>
    private void Idle()
    {
        Receive<WorkAssigned>(work => OnAssigned(work, Training));
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining) StartDraining(Idle, ReleasedWhileWorking);
            else AskForWork();
        });
        Shared(wantsWork: true, draining: false, ReleasedWhileWorking);
    }

    /// <summary>One trial runs: its last step has not begun, or began when the slot could not ask ahead.</summary>
    private void Training()
    {
        Receive<WorkAssigned>(work => OnAssigned(work, () => Holding(nextFinishing: false)));
        Receive<TrialFinishing>(finishing =>
        {
            if (_running!.Ref.TrialId != finishing.TrialId) return;
            AskForWork();
            Become(AskingAhead);
        });
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining) StartDraining(Training, ReleasedWhileWorking);
        });
        Shared(wantsWork: false, draining: false, ReleasedWhileWorking);
    }

    /// <summary>The running trial's last step has begun and the slot has asked for the next one.</summary>
    private void AskingAhead()
    {
        Receive<WorkAssigned>(work => OnAssigned(work, () => Holding(nextFinishing: false)));
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining) StartDraining(AskingAhead, ReleasedWhileWorking);
        });
        Shared(wantsWork: false, draining: false, ReleasedWhileWorking);
    }

    /// <summary>A next trial is held behind the running one: it waits at its gate, and takes the running one's place
    /// when that ends. <paramref name="nextFinishing"/>: it started while the running one journals its end, and its own
    /// last step has begun already; once it is the running one, the slot asks ahead for it.</summary>
    private void Holding(bool nextFinishing)
    {
        Receive<WorkAssigned>(work => OnAssigned(work, null));
        Receive<TrialFinishing>(finishing =>
        {
            if (_next!.Ref.TrialId == finishing.TrialId) Become(() => Holding(nextFinishing: true));
        });
        Receive<TrialEngineDone>(done =>
        {
            // The engine is free: the held trial starts while the running one journals its result (the engine thread
            // has opened its gate already, unless the slot held it only after the engine was free).
            if (_running!.Ref.TrialId == done.TrialId) _next!.Gate.Open();
        });
        Action<Running, TrialExit?> released = (taken, exit) => ReleasedWhileWorking(taken, exit, nextFinishing);
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining) StartDraining(Training, released);
        });
        Shared(wantsWork: false, draining: false, released);
    }

    /// <summary>It finishes the trial it runs and takes no new one, holding none. <paramref name="undrained"/>: the
    /// mode an undrain returns to.</summary>
    private void Draining(Action undrained)
    {
        // An assignment that crossed the drain is taken while the slot has no trial.
        Receive<WorkAssigned>(work => OnAssigned(work, _running is null ? () => Draining(Training) : null));
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining)
            {
                _coordinator.Tell(new WithdrawRequest(_name));
                return;
            }
            Become(undrained);
            if (_running is null) AskForWork();
        });
        Shared(wantsWork: false, draining: true, (taken, exit) =>
        {
            TakeOff(taken);
            if (_running is null) Become(() => Draining(Idle));
            Return(taken, exit, wantsWork: false);
        });
    }

    /// <summary>It hands its trial back (stopped at its epoch boundary), then stops.</summary>
    private void Stopping()
    {
        Receive<WorkAssigned>(work => OnAssigned(work, null));
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining) _coordinator.Tell(new WithdrawRequest(_name));
        });
        Shared(wantsWork: false, draining: true, (taken, exit) =>
        {
            TakeOff(taken);
            Return(taken, exit, wantsWork: false);
            if (_running is null) Context.Stop(Self);
        }, startTrials: false);
    }

    /// <summary>What every mode handles alike. <paramref name="released"/>: what the mode does when a trial goes (its
    /// end reported, a spec that cannot be read, a child that stopped); <paramref name="startTrials"/>: whether a trial
    /// whose spec has loaded starts, or goes back at once.</summary>
    private void Shared(bool wantsWork, bool draining, Action<Running, TrialExit?> released, bool startTrials = true)
    {
        Receive<SpecLoaded>(loaded => OnSpecLoaded(loaded, released, startTrials));
        Receive<TrialEnded>(ended => OnEnded(ended, released));
        Receive<Terminated>(terminated => OnTerminated(terminated, released));
        Receive<StopTrial>(stop => OnStop(stop, released));
        Receive<GetTrialStatus>(query =>
        {
            if (_running?.Trial is { } trial) trial.Forward(query);
            else Sender.Tell(new Akka.Actor.Status.Failure(new InvalidOperationException($"slot {Self.Path.Name} is idle")));
        });
        Receive<HandBackAndStop>(handBack =>
        {
            _coordinator.Tell(new WithdrawRequest(_name));
            DropNext(TrialExit.Interrupted, released);
            Become(Stopping);
            if (_running is null) Context.Stop(Self);
            else _running.Trial?.Tell(new StopTrial(handBack.Downed ? StopCause.NodeDowned : StopCause.Shutdown));
        });
        Receive<RegisterTick>(_ => Register(wantsWork, draining));
        // A trial's word that this mode has no use for (it asked ahead already, it holds no next trial, it drains).
        Receive<TrialFinishing>(_ => { });
        Receive<TrialEngineDone>(_ => { });
    }

    private void Register(bool wantsWork, bool draining) => _coordinator.Tell(new RegisterSlot(_name, _running?.Ref, _received.LastOrDefault(),
        WantsWork: wantsWork, draining, _onlySweep, _next?.Ref, _returned.ToArray()));

    private void AskForWork() => _coordinator.Tell(new RequestWork(_name, _onlySweep));

    /// <summary>The slot drains: it withdraws its request for work and hands back the next trial it holds.
    /// <paramref name="undrained"/>: the mode an undrain returns to while the running trial runs.</summary>
    private void StartDraining(Action undrained, Action<Running, TrialExit?> released)
    {
        _coordinator.Tell(new WithdrawRequest(_name));
        DropNext(TrialExit.Interrupted, released);
        Become(() => Draining(_running is null ? Idle : undrained));
    }

    /// <summary>An assignment: one sent again (after a takeover, or crossing a registration) is ignored; otherwise
    /// the slot takes it, as its trial or as the next one, and becomes <paramref name="taking"/>, or without one
    /// refuses it.</summary>
    private void OnAssigned(WorkAssigned work, Action? taking)
    {
        var offered = new AssignmentRef(work.TrialId, work.Assignment);
        if (_received.Contains(offered)) return;
        if (taking is null)
        {
            Sender.Tell(new WorkRejected(work.TrialId, work.Assignment));
            return;
        }
        _received.Enqueue(offered);
        if (_received.Count > ReceivedRemembered) _received.Dequeue();
        var taken = new Running(offered, work.SweepId, null, new StartGate(), work.Rung);
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
        Become(taking);
        _store.GetTrialAsync(work.TrialId).PipeTo(Self,
            success: row => new SpecLoaded(offered, row),
            failure: ex => new SpecLoaded(offered, null, ex));
    }

    private void OnSpecLoaded(SpecLoaded loaded, Action<Running, TrialExit?> released, bool start)
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
            released(taken, null);
            return;
        }
        if (!start)
        {
            released(taken, TrialExit.Interrupted);
            return;
        }
        var assignment = new TrialAssignment(loaded.Ref.TrialId, taken.SweepId, spec, Self.Path.Name, taken.Gate, taken.Rung);
        // The child's name carries the assignment: a trial handed back and given to this slot again gets a new one.
        var trial = Context.ActorOf(TrialActor.Supervised(assignment, _services, _threads!, Self), $"trial-{loaded.Ref.TrialId}-{loaded.Ref.Assignment}");
        Context.Watch(trial);
        if (held) _next = taken with { Trial = trial };
        else _running = taken with { Trial = trial };
    }

    private void OnEnded(TrialEnded ended, Action<Running, TrialExit?> released)
    {
        var taken = _running?.Ref.TrialId == ended.TrialId ? _running : _next?.Ref.TrialId == ended.TrialId ? _next : null;
        if (taken?.Trial is not { } trial) return;
        _services.Observer.TrialEnded(Self.Path.Name, ended.TrialId, ended.Exit, ended.State);
        Context.Unwatch(trial);
        Context.Stop(trial);
        released(taken, ended.Exit);
    }

    private void OnTerminated(Terminated terminated, Action<Running, TrialExit?> released)
    {
        var taken = terminated.ActorRef.Equals(_running?.Trial) ? _running : terminated.ActorRef.Equals(_next?.Trial) ? _next : null;
        if (taken is null) return;
        _services.Observer.Note($"[{Self.Path.Name}] {taken.Ref.TrialId}: stopped without finishing; handed back");
        released(taken, null);
    }

    private void OnStop(StopTrial stop, Action<Running, TrialExit?> released)
    {
        if (stop.TrialId is not null && _next?.Ref.TrialId == stop.TrialId)
            DropNext(stop.Exit, released);
        else if (stop.TrialId is null || _running?.Ref.TrialId == stop.TrialId)
            _running?.Trial?.Tell(stop);
    }

    /// <summary>The next trial goes back (a drain, a shutdown, its sweep cancelled): not started yet, or started
    /// moments ago while the running one journals its end (that attempt is then interrupted, its journal kept).</summary>
    private void DropNext(TrialExit exit, Action<Running, TrialExit?> released)
    {
        if (_next is not { } next) return;
        _threads!.Unhold(next.Gate);
        if (next.Trial is { } trial)
        {
            Context.Unwatch(trial);
            Context.Stop(trial);
        }
        released(next, exit);
    }

    /// <summary>A trial goes while the slot works normally: the held next one (the running one goes on alone), or the
    /// running one, whose place the next one takes. The request for the next trial rides on the result (the one after
    /// a promoted trial that is finishing already, too): the coordinator journals both in one write.</summary>
    private void ReleasedWhileWorking(Running taken, TrialExit? exit) => ReleasedWhileWorking(taken, exit, nextFinishing: false);

    private void ReleasedWhileWorking(Running taken, TrialExit? exit, bool nextFinishing)
    {
        var wasNext = ReferenceEquals(taken, _next);
        TakeOff(taken);
        if (_running is null)
        {
            Become(Idle);
            Return(taken, exit, wantsWork: true);
        }
        else if (wasNext || !nextFinishing)
        {
            Become(Training);
            Return(taken, exit, wantsWork: false);
        }
        else
        {
            Become(AskingAhead);
            Return(taken, exit, wantsWork: true);
        }
    }

    /// <summary>Takes a trial off the slot: the held next one, or the running one, whose place the next one (if held)
    /// takes: it starts now (or, with its spec still loading, as soon as its actor exists).</summary>
    private void TakeOff(Running taken)
    {
        if (ReferenceEquals(taken, _next))
        {
            _threads!.Unhold(taken.Gate);
            _next = null;
            return;
        }
        _running = _next;
        _next = null;
        if (_running is null) return;
        _threads!.Unhold(_running.Gate);
        _running.Gate.Open();
    }

    /// <summary>Reports how a trial left (null: without a last word) to the coordinator, remembered for the registrations.</summary>
    private void Return(Running taken, TrialExit? exit, bool wantsWork)
    {
        var returned = new WorkReturned(_name, taken.Ref.TrialId, taken.Ref.Assignment, exit, WantsWork: wantsWork);
        _returned.AddLast(returned);
        if (_returned.Count > ReturnsRemembered) _returned.RemoveFirst();
        _coordinator.Tell(returned);
    }

    private sealed record Running(AssignmentRef Ref, SweepId SweepId, IActorRef? Trial, StartGate Gate, RungOrder? Rung);

    private sealed record SpecLoaded(AssignmentRef Ref, TrialRecord? Row, Exception? Failure = null);

    private sealed record RegisterTick
    {
        public static RegisterTick Instance { get; } = new();
    }
}
