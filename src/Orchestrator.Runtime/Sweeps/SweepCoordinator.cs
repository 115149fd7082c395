using Akka.Actor;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Membership;
using Orchestrator.Runtime.Slots;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Sweeps;

/// <summary>Which trials a coordinator hands out: those of one sweep (`sweep run`), or of every sweep that is not cancelled (a worker node).</summary>
public abstract record WorkScope
{
    public sealed record OneSweep(string SweepId) : WorkScope;
    public sealed record AllSweeps : WorkScope;
}

public sealed record CoordinatorSettings(TimeSpan LeaseDuration, TimeSpan PollInterval)
{
    public static CoordinatorSettings Default { get; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
}

/// <summary>Answered with <see cref="ScopeFinished"/> once every trial in scope has ended and none runs here.</summary>
public sealed record WhenFinished;

public sealed record ScopeFinished(IReadOnlyList<TrialRecord> Trials);

/// <summary>Draining: running trials finish, no slot gets a new one.</summary>
public sealed record SetDraining(bool Draining);

/// <summary>Stops every running trial at its epoch boundary and hands it back; answered with <see cref="AllStopped"/>.</summary>
public sealed record StopAll;

public sealed record AllStopped;

/// <summary>Answered with <see cref="BusySlots"/>: how many slots run a trial now.</summary>
public sealed record GetBusySlots;

public sealed record BusySlots(int Count);

/// <summary>
/// Hands trials to slots that ask for work, one per request, each under a lease claimed in the store (so other
/// processes sharing the store work on the same sweeps). It renews the leases of its running trials, tells a slot to
/// stop when its trial's sweep is cancelled or its lease is lost, finishes or hands back a trial when its slot
/// reports the end, and death-watches its slots: a slot that dies has its trial handed back.
/// </summary>
public sealed class SweepCoordinator : ReceiveActor, IWithTimers
{
    private readonly WorkScope _scope;
    private readonly IOrchestratorStore _store;
    private readonly NodeIdentity _node;
    private readonly CoordinatorSettings _settings;
    private readonly IRunObserver _observer;
    private readonly TimeProvider _clock;
    private readonly Dictionary<IActorRef, string> _waiting = [];
    private readonly Dictionary<string, Assignment> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TrialSpec> _specs = new(StringComparer.Ordinal);
    private readonly List<IActorRef> _finishWaiters = [];
    private IActorRef? _stopWaiter;
    private DateTimeOffset _lastRenewal;
    private bool _draining;
    private bool _stopping;
    private bool _waitingNoted;
    private bool _storeTrouble;
    private bool _awaitingSignal;

    public SweepCoordinator(WorkScope scope, IOrchestratorStore store, NodeIdentity node, CoordinatorSettings settings,
        IRunObserver observer, TimeProvider clock)
    {
        _scope = scope;
        _store = store;
        _node = node;
        _settings = settings;
        _observer = observer;
        _clock = clock;
        _lastRenewal = clock.GetUtcNow();

        ReceiveAsync<RequestWork>(async request =>
        {
            Context.Watch(Sender);
            _waiting[Sender] = request.Slot;
            await GuardAsync(DispatchAsync);
        });
        ReceiveAsync<WorkReturned>(returned => GuardAsync(() => ReturnAsync(returned)));
        ReceiveAsync<WorkRejected>(rejected => GuardAsync(async () =>
        {
            _running.Remove(rejected.Lease.TrialId);
            await _store.ReleaseTrialAsync(rejected.Lease, _clock.GetUtcNow());
        }));
        ReceiveAsync<Terminated>(terminated => GuardAsync(() => SlotDiedAsync(terminated.ActorRef)));
        ReceiveAsync<Tick>(_ => GuardAsync(TickAsync));
        ReceiveAsync<WorkSignalled>(_ =>
        {
            _awaitingSignal = false;
            return GuardAsync(DispatchAsync);
        });
        ReceiveAsync<WhenFinished>(_ =>
        {
            _finishWaiters.Add(Sender);
            return GuardAsync(DispatchAsync);
        });
        Receive<SetDraining>(drain =>
        {
            if (drain.Draining != _draining)
                _observer.Note(drain.Draining ? "draining: running trials finish, no new ones start here" : "drain lifted");
            _draining = drain.Draining;
        });
        Receive<GetBusySlots>(_ => Sender.Tell(new BusySlots(_running.Count)));
        Receive<StopAll>(_ =>
        {
            _stopping = true;
            _stopWaiter = Sender;
            foreach (var assignment in _running.Values) assignment.Slot.Tell(new StopTrial(StopCause.Shutdown));
            ReplyIfStopped();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(WorkScope scope, IOrchestratorStore store, NodeIdentity node, CoordinatorSettings settings,
        IRunObserver observer, TimeProvider clock) =>
        Akka.Actor.Props.Create(() => new SweepCoordinator(scope, store, node, settings, observer, clock));

    protected override void PreStart() => Timers.StartPeriodicTimer("tick", Tick.Instance, _settings.PollInterval);

    private async Task DispatchAsync()
    {
        if (_stopping) return;
        if (_waiting.Count > 0 && !_draining)
        {
            if (_scope is WorkScope.OneSweep sweep) await ExpireDeadLocalLeasesAsync(sweep.SweepId);
            foreach (var (slot, name) in _waiting.ToList())
            {
                var now = _clock.GetUtcNow();
                var owner = _node.SlotOwner(name);
                var lease = _scope switch
                {
                    WorkScope.OneSweep one => await _store.TryClaimTrialAsync(one.SweepId, owner, now, _settings.LeaseDuration),
                    _ => await _store.TryClaimAnyTrialAsync(owner, now, _settings.LeaseDuration),
                };
                if (lease is null) break;
                TrialSpec spec;
                try
                {
                    spec = await SpecOfAsync(lease);
                }
                catch
                {
                    await _store.ReleaseTrialAsync(lease, _clock.GetUtcNow());
                    throw;
                }
                _waiting.Remove(slot);
                _waitingNoted = false;
                _running[lease.TrialId] = new Assignment(lease, slot);
                slot.Tell(new WorkAssigned(lease, spec));
            }
        }
        if (_waiting.Count > 0 && !_draining && !_awaitingSignal && _store is IWorkSignal signal)
        {
            // A store that announces new work (PostgreSQL's LISTEN/NOTIFY) wakes idle slots at once, not at the next tick.
            _awaitingSignal = true;
            _ = signal.WaitForWorkAsync(_settings.PollInterval).PipeTo(Self, success: () => WorkSignalled.Instance, failure: _ => WorkSignalled.Instance);
        }
        if (_finishWaiters.Count > 0 && _running.Count == 0) await ReplyIfFinishedAsync();
    }

    private async Task ReplyIfFinishedAsync()
    {
        IReadOnlyList<TrialRecord> trials = _scope switch
        {
            WorkScope.OneSweep one => await _store.ListTrialsAsync(one.SweepId),
            _ => await AllTrialsAsync(),
        };
        if (trials.All(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled))
        {
            foreach (var waiter in _finishWaiters) waiter.Tell(new ScopeFinished(trials));
            _finishWaiters.Clear();
            return;
        }
        if (!_waitingNoted && _scope is WorkScope.OneSweep)
        {
            var held = trials.Count(t => t.Status == TrialStatus.Running);
            if (held > 0) _observer.Note($"waiting: {held} trial(s) leased by other processes; they are taken over if their leases expire");
            _waitingNoted = true;
        }
    }

    private async Task<IReadOnlyList<TrialRecord>> AllTrialsAsync()
    {
        var all = new List<TrialRecord>();
        foreach (var sweep in await _store.ListSweepsAsync()) all.AddRange(await _store.ListTrialsAsync(sweep.Id));
        return all;
    }

    private async Task ReturnAsync(WorkReturned returned)
    {
        var lease = returned.Lease;
        if (_running.TryGetValue(lease.TrialId, out var current) && current.Lease.Epoch == lease.Epoch)
            _running.Remove(lease.TrialId);
        var now = _clock.GetUtcNow();
        _ = returned.End switch
        {
            TrialEnd.Completed => await _store.FinishTrialAsync(lease, TrialStatus.Completed, now),
            TrialEnd.Failed => await _store.FinishTrialAsync(lease, TrialStatus.Failed, now),
            TrialEnd.Cancelled => await _store.FinishTrialAsync(lease, TrialStatus.Cancelled, now),
            _ => await _store.ReleaseTrialAsync(lease, now),
        };
        ReplyIfStopped();
        await DispatchAsync();
    }

    private async Task SlotDiedAsync(IActorRef slot)
    {
        _waiting.Remove(slot);
        foreach (var (trialId, assignment) in _running.Where(r => r.Value.Slot.Equals(slot)).ToList())
        {
            _running.Remove(trialId);
            await _store.ReleaseTrialAsync(assignment.Lease, _clock.GetUtcNow());
            _observer.Note($"{trialId}: its slot stopped; handed back to the queue");
        }
        ReplyIfStopped();
    }

    private async Task TickAsync()
    {
        var now = _clock.GetUtcNow();
        if (now - _lastRenewal >= _settings.LeaseDuration / 3)
        {
            _lastRenewal = now;
            foreach (var (trialId, assignment) in _running.ToList())
            {
                if (await _store.RenewLeaseAsync(assignment.Lease, now, _settings.LeaseDuration)) continue;
                _running.Remove(trialId);
                _observer.Note($"{trialId}: lease lost (taken over elsewhere); stopping it here");
                assignment.Slot.Tell(new StopTrial(StopCause.LeaseLost));
            }
        }
        foreach (var sweepId in _running.Values.Select(a => a.Lease.SweepId).Distinct(StringComparer.Ordinal).ToList())
        {
            if (!await _store.IsSweepCancelledAsync(sweepId)) continue;
            foreach (var assignment in _running.Values.Where(a => a.Lease.SweepId == sweepId))
                assignment.Slot.Tell(new StopTrial(StopCause.SweepCancelled));
        }
        await DispatchAsync();
        if (_storeTrouble)
        {
            _storeTrouble = false;
            _observer.Note("store reachable again");
        }
    }

    /// <summary>Leases of processes of this host that were killed are taken over at once rather than waited out.</summary>
    private async Task ExpireDeadLocalLeasesAsync(string sweepId)
    {
        foreach (var trial in await _store.ListTrialsAsync(sweepId))
        {
            if (trial.Status != TrialStatus.Running || !_node.IsDeadLocalOwner(trial.LeaseOwner)) continue;
            if (await _store.ExpireLeaseAsync(trial.Id, trial.LeaseOwner!, _clock.GetUtcNow()))
                _observer.Note($"{trial.Id}: its previous process ({trial.LeaseOwner}) is gone; resuming it from the journal");
        }
    }

    /// <summary>A trial's spec never changes (its id is the spec's hash): a sweep's specs are read once, in one query.</summary>
    private async Task<TrialSpec> SpecOfAsync(TrialLease lease)
    {
        if (_specs.TryGetValue(lease.TrialId, out var spec)) return spec;
        foreach (var trial in await _store.ListTrialsAsync(lease.SweepId))
            _specs.TryAdd(trial.Id, TrialSpecJson.Deserialize(trial.SpecJson));
        return _specs.TryGetValue(lease.TrialId, out spec) ? spec : throw new InvalidOperationException($"claimed trial {lease.TrialId} has no row");
    }

    private void ReplyIfStopped()
    {
        if (!_stopping || _running.Count > 0 || _stopWaiter is null) return;
        _stopWaiter.Tell(new AllStopped());
        _stopWaiter = null;
    }

    /// <summary>A store that is down or busy does not stop the coordinator: the work is retried at the next tick.</summary>
    private async Task GuardAsync(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (!_storeTrouble) _observer.Note($"coordinator: {ex.GetType().Name}: {ex.Message}; retrying");
            _storeTrouble = true;
        }
    }

    private sealed record Assignment(TrialLease Lease, IActorRef Slot);

    private sealed record Tick
    {
        public static Tick Instance { get; } = new();
    }

    private sealed record WorkSignalled
    {
        public static WorkSignalled Instance { get; } = new();
    }
}
