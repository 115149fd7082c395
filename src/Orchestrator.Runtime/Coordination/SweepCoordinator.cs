using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Pattern;
using Akka.Persistence;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Persistence;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Coordination;

/// <summary>How often the coordinator snapshots its state (in events) and looks for assignments whose node is gone.</summary>
/// <param name="DownedNodeMargin">How long after a node's removal its slots' trials wait before they are queued again:
/// null, the downing provider's removal margin.</param>
public sealed record CoordinatorSettings(int SnapshotEvery, TimeSpan ReconcileInterval, TimeSpan? DownedNodeMargin = null)
{
    public static CoordinatorSettings Default { get; } = new(500, TimeSpan.FromSeconds(1));
}

/// <summary>
/// The sweep coordinator: the cluster's one owner of the queue (a cluster singleton on a coordinator-role node) and
/// a persistent actor. It journals the sweeps launched, every assignment of a trial to a slot and its end, and
/// snapshots its state every few hundred events. Slots register and ask for work (work pulling); it death-watches
/// them, so a trial whose slot dies or whose node is downed is queued again and resumes elsewhere from its own
/// journal. After a takeover it recovers the queue from its journal and learns from the slots' registrations which of
/// the recovered assignments still run. Every decision is applied, journaled, and only then acted on.
/// </summary>
public sealed class SweepCoordinator : ReceivePersistentActor, IWithTimers
{
    public const string Id = "sweep-coordinator";

    private readonly CoordinatorSettings _settings;
    private readonly IRunObserver _observer;
    private readonly IActorRef _rows;
    private readonly Cluster _cluster;
    private readonly TimeSpan _downedNodeMargin;
    private readonly Stopwatch _recovery = Stopwatch.StartNew();
    private readonly Dictionary<IActorRef, SlotEntry> _slots = [];
    private readonly HashSet<IActorRef> _waiting = [];
    private readonly HashSet<TrialId> _confirmed = [];
    private readonly Stopwatch _sinceRecovered = new();
    // Ended sweeps whose rows are being flushed before they retire.
    private readonly HashSet<SweepId> _retiring = [];
    // Cells whose replicates are being registered in the store before they are journaled.
    private readonly HashSet<(SweepId SweepId, int Cell)> _replicating = [];
    private readonly ISweepCatalogue _store;
    private WorkQueue _queue = new();
    private long _snapshotSeq;
    private int _sinceSnapshot;

    public SweepCoordinator(ISweepCatalogue store, IRunObserver observer, CoordinatorSettings settings)
    {
        JournalPluginId = JournalSettings.CoordinatorJournalPlugin;
        _settings = settings;
        _observer = observer;
        _store = store;
        _cluster = Cluster.Get(Context.System);
        _downedNodeMargin = settings.DownedNodeMargin ?? _cluster.DowningProvider.DownRemovalMargin;
        _rows = Context.ActorOf(TrialRowProjector.Props(store, observer), "rows");

        Recover<SnapshotOffer>(offer =>
        {
            _queue = WorkQueue.From((WorkQueueSnapshot)offer.Snapshot);
            _snapshotSeq = offer.Metadata.SequenceNr;
        });
        Recover<CoordinatorEvent>(e =>
        {
            _queue.Apply(e);
            _sinceSnapshot++;
        });
        Recover<RecoveryCompleted>(_ => Recovered());

        Command<LaunchSweep>(launch => WhenKnown(launch.SweepId, launch.TrialIds, (reply, endedElsewhere) => OnLaunch(launch, reply, endedElsewhere)));
        Command<ControlSweep>(control => WhenKnown(control.SweepId, [], (reply, _) => OnControl(control, reply)));
        Command<GetSweepState>(OnGetState);
        Command<RetiredSweepRead>(OnRetiredSweepRead);
        Command<RowsFlushedFor>(flushed => Retire(flushed.SweepId));
        Command<RetireDeferred>(deferred => _retiring.Remove(deferred.SweepId));
        Command<RowsUnreadable>(failed => _observer.Note(
            $"coordinator: the rows of sweep {failed.SweepId} are not readable ({failed.Reason}); the request goes unanswered and is asked again"));
        Command<RegisterSlot>(OnRegister);
        Command<ReplicatesRegistered>(OnReplicatesRegistered);
        Command<ReplicatesUnregistered>(failed =>
        {
            _replicating.Remove((failed.SweepId, failed.Cell));
            _observer.Note($"coordinator: the replicates of cell {failed.Cell} of sweep {failed.SweepId} are not registered yet ({failed.Reason}); tried again");
        });
        Command<RequestWork>(request =>
        {
            var slot = Track(request.Slot, request.OnlySweep);
            slot.Draining = false;
            // A slot asks ahead while its trial finishes: it holds at most that trial and one more.
            if (_queue.AllOn(request.Slot).Count >= 2) return;
            _waiting.Add(Sender);
            Dispatch();
        });
        Command<WithdrawRequest>(_ =>
        {
            _waiting.Remove(Sender);
            if (_slots.TryGetValue(Sender, out var slot)) slot.Draining = true;
        });
        Command<WorkRejected>(rejected => ReleaseTrial(rejected.TrialId, rejected.Assignment, "its slot was busy"));
        Command<WorkReturned>(OnReturned);
        Command<Terminated>(SlotGone);
        Command<ReleaseGoneSlot>(gone =>
        {
            foreach (var (trialId, assignment) in gone.Assignments)
                ReleaseTrial(trialId, assignment, $"its node left the cluster {_downedNodeMargin.TotalSeconds:0} s ago");
        });
        Command<Reconcile>(_ =>
        {
            ReleaseAssignmentsOfGoneNodes();
            ReplicateEndedCells();
            RetireEndedSweeps();
        });
        Command<GetQueueStatus>(_ => Sender.Tell(Status()));
        Command<FlushRows>(flush => _rows.Forward(flush));
        Command<SaveSnapshotSuccess>(saved =>
            DeleteSnapshots(new SnapshotSelectionCriteria(saved.Metadata.SequenceNr - 1)));
        Command<SaveSnapshotFailure>(failed => _observer.Note($"coordinator: snapshot not saved ({failed.Cause.Message}); recovery replays more events"));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(_ => { });
    }

    public override string PersistenceId => Id;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(ISweepCatalogue store, IRunObserver observer, CoordinatorSettings settings) =>
        Akka.Actor.Props.Create(() => new SweepCoordinator(store, observer, settings));

    /// <summary>The coordinator under a backoff supervisor, as the singleton runs it: a journal that cannot be written or
    /// read (the database restarting) stops it, and it is started again after 1 s, 2 s, ... up to 30 s, recovering
    /// from its journal each time.</summary>
    public static Props Supervised(ISweepCatalogue store, IRunObserver observer, CoordinatorSettings settings) =>
        BackoffSupervisor.Props(Backoff.OnStop(Props(store, observer, settings), "queue",
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0.2, -1));

    private void Recovered()
    {
        var running = _queue.RunningCount;
        _observer.Note($"coordinator on {_cluster.SelfAddress}: recovered in {_recovery.Elapsed.TotalMilliseconds:F0} ms " +
                       $"(snapshot at event {_snapshotSeq}, then {_sinceSnapshot} event(s)): {_queue.SweepIds.Count()} sweep(s), " +
                       $"{_queue.PendingCount} pending, {running} running trial(s)");
        // The rows may lag the journal (a coordinator killed before it wrote them): bring every one up to date.
        _rows.Tell(new RowsChanged(
            _queue.SweepIds.SelectMany(_queue.TrialsOf).Select(Row).ToList(),
            _queue.SweepIds.ToDictionary(id => id, _queue.IsCancelled)));
        _sinceRecovered.Restart();
        Timers.StartPeriodicTimer("reconcile", Reconcile.Instance, _settings.ReconcileInterval);
        ReplicateEndedCells();
    }

    // ---- sweeps ----

    private void OnLaunch(LaunchSweep launch, IActorRef reply, IReadOnlyCollection<TrialId> endedElsewhere)
    {
        var e = _queue.Launch(launch.SweepId, launch.Name, launch.TrialIds.Where(id => !endedElsewhere.Contains(id)), launch.Plan);
        if (e is null)
        {
            reply.Tell(new SweepLaunchAccepted(launch.SweepId, _queue.TrialsOf(launch.SweepId).Count, 0, _queue.IsCancelled(launch.SweepId)));
            return;
        }
        _queue.Apply(e);
        // The launch and the first assignments to waiting slots are journaled in one write.
        Dispatch([e], () =>
            reply.Tell(new SweepLaunchAccepted(launch.SweepId, _queue.TrialsOf(launch.SweepId).Count, e.TrialIds.Count, _queue.IsCancelled(launch.SweepId))));
    }

    private void OnControl(ControlSweep control, IActorRef reply)
    {
        if (!_queue.Knows(control.SweepId))
        {
            reply.Tell(new UnknownSweep(control.SweepId));
            return;
        }
        CoordinatorEvent? e = control.Cancel ? _queue.Cancel(control.SweepId) : _queue.Resume(control.SweepId);
        void Answer() => reply.Tell(new SweepControlled(control.SweepId, _queue.IsCancelled(control.SweepId), Counts(control.SweepId)));
        if (e is null)
        {
            Answer();
            return;
        }
        _queue.Apply(e);
        Commit([e], () =>
        {
            if (control.Cancel)
            {
                foreach (var (trialId, slot, _) in _queue.Running.Where(r => _queue.SweepOf(r.TrialId) == control.SweepId).ToList())
                    SlotRef(slot)?.Tell(new StopTrial(StopCause.SweepCancelled, trialId));
                NotifyIfEnded(control.SweepId);
            }
            Answer();
            Dispatch();
        });
    }

    private void OnGetState(GetSweepState query)
    {
        if (!_queue.Knows(query.SweepId))
        {
            // Retired (or never launched): its trial rows hold the outcome, final before it retired.
            var id = query.SweepId;
            // A store that fails answers "unknown": whoever polls asks again.
            _store.ListTrialsAsync(id).PipeTo(Sender, failure: _ => new UnknownSweep(id), success: rows => rows.Count == 0
                ? new UnknownSweep(id)
                : new SweepState(id, rows.All(r => r.Status.HasEnded()),
                    rows.GroupBy(r => r.Status).OrderBy(g => g.Key)
                        .ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count(), StringComparer.Ordinal)));
            return;
        }
        Sender.Tell(new SweepState(query.SweepId, _queue.HasEnded(query.SweepId), Counts(query.SweepId)));
    }

    // ---- retirement: ended sweeps leave the state, so snapshots stay bounded by the live ones ----

    /// <summary>Each ended sweep retires once its rows are written (they answer for it from then on); a flush that
    /// fails or times out is tried again at a later tick.</summary>
    private void RetireEndedSweeps()
    {
        foreach (var id in _queue.SweepIds.Where(id => _queue.Retire(id) is not null && !_retiring.Contains(id)).ToList())
        {
            _retiring.Add(id);
            _rows.Ask<RowsFlushed>(new FlushRows(), RowsFlushTimeout)
                .PipeTo(Self, success: _ => new RowsFlushedFor(id), failure: _ => new RetireDeferred(id));
        }
    }

    private static readonly TimeSpan RowsFlushTimeout = TimeSpan.FromSeconds(30);

    private void Retire(SweepId sweepId)
    {
        _retiring.Remove(sweepId);
        // Launched again meanwhile: it stays.
        if (_queue.Retire(sweepId) is not { } retired) return;
        _queue.Apply(retired);
        Commit([retired], () => { });
    }

    /// <summary>Runs <paramref name="then"/> with the sender once the queue knows the sweep: at once, or after a retired
    /// sweep came back from its trial rows, with the trials of <paramref name="trialIds"/> outside the sweep's rows that
    /// ended in another retired sweep (a launch leaves them out, as the queue left out trials it knew: a trial belongs
    /// to the sweep that launched it first).</summary>
    private void WhenKnown(SweepId sweepId, IReadOnlyList<TrialId> trialIds, Action<IActorRef, IReadOnlyCollection<TrialId>> then)
    {
        if (_queue.Knows(sweepId))
        {
            then(Sender, []);
            return;
        }
        var reply = Sender;
        var unknown = trialIds.Where(id => _queue.StatusOf(id) is null).ToList();
        ReadRetiredAsync(_store, sweepId, unknown).PipeTo(Self,
            success: read => new RetiredSweepRead(read, reply, then),
            failure: ex => new RowsUnreadable(sweepId, ex.Message));
    }

    private static async Task<RetiredSweep> ReadRetiredAsync(ISweepCatalogue store, SweepId sweepId, IReadOnlyList<TrialId> trialIds)
    {
        var sweep = await store.GetSweepAsync(sweepId).ConfigureAwait(false);
        var rows = await store.ListTrialsAsync(sweepId).ConfigureAwait(false);
        var own = rows.Select(r => r.Id).ToHashSet();
        var endedElsewhere = new HashSet<TrialId>();
        foreach (var id in trialIds.Where(id => !own.Contains(id)))
            if (await store.GetTrialAsync(id).ConfigureAwait(false) is { } row && row.Status.HasEnded())
                endedElsewhere.Add(id);
        return new RetiredSweep(sweepId, sweep?.Name ?? sweepId.Value, await store.IsSweepCancelledAsync(sweepId).ConfigureAwait(false),
            rows.Select(r => (r.Id, r.Status)).ToList(), endedElsewhere);
    }

    private void OnRetiredSweepRead(RetiredSweepRead read)
    {
        var found = read.Sweep;
        if (_queue.Revive(found.SweepId, found.Name, found.Cancelled, found.Trials) is { } revived)
        {
            _queue.Apply(revived);
            Commit([revived], () => { });
        }
        read.Then(read.Reply, found.EndedElsewhere.Where(id => _queue.StatusOf(id) is null).ToHashSet());
    }

    private void NotifyIfEnded(SweepId sweepId)
    {
        if (!_queue.HasEnded(sweepId)) return;
        _observer.Note($"sweep {sweepId} has ended: {string.Join(", ", Counts(sweepId).Select(kv => $"{kv.Value} {kv.Key}"))}");
    }

    // ---- slots ----

    private SlotEntry Track(string name, SweepId? onlySweep)
    {
        if (!_slots.TryGetValue(Sender, out var slot))
        {
            slot = new SlotEntry(name, onlySweep);
            _slots[Sender] = slot;
            Context.Watch(Sender);
        }
        return slot;
    }

    /// <summary>Matches what a slot says it holds (the trial it runs, the next one) with what the queue says it should.</summary>
    private void OnRegister(RegisterSlot report)
    {
        var slot = Track(report.Slot, report.OnlySweep);
        slot.Draining = report.Draining;
        var held = new[] { report.Running, report.Next }.OfType<AssignmentRef>().ToList();
        var expected = _queue.AllOn(report.Slot).Select(on => new AssignmentRef(on.TrialId, on.Assignment)).ToList();
        foreach (var assignment in expected)
        {
            if (held.Contains(assignment))
            {
                _confirmed.Add(assignment.TrialId);
                continue;
            }
            // It had the trial and no longer holds it: its report of the end is on its way, or went to a coordinator
            // that is gone. The registration carries that report: apply it now (the original, when it comes, is then a
            // no-op); without one, the trial goes back to the queue.
            if (report.Returned?.FirstOrDefault(r => new AssignmentRef(r.TrialId, r.Assignment) == assignment) is { } last)
                OnReturned(last with { WantsWork = false });
            else if (assignment == report.LastReceived)
                ReleaseTrial(assignment.TrialId, assignment.Assignment, "its slot no longer runs it");
            else
            {
                // Journaled, but the slot never received it (the coordinator that assigned it went away first).
                Sender.Tell(new WorkAssigned(assignment.TrialId, _queue.SweepOf(assignment.TrialId), assignment.Assignment, _queue.OrderOf(assignment.TrialId)));
                _confirmed.Add(assignment.TrialId);
            }
        }
        // The slot holds a trial the queue gives to no one or to someone else: it must stop, its writes are fenced anyway.
        foreach (var stray in held.Where(h => !expected.Contains(h)))
            Sender.Tell(new StopTrial(StopCause.AssignmentLost, stray.TrialId));
        if (report.WantsWork && !report.Draining && _queue.RunningOn(report.Slot) is null)
        {
            _waiting.Add(Sender);
            Dispatch();
        }
        else if (report.Draining)
        {
            _waiting.Remove(Sender);
        }
    }

    /// <summary>Assigns pending trials to waiting slots and journals the assignments, after <paramref name="first"/>
    /// (events already applied, journaled in the same write); <paramref name="then"/> runs once all are journaled.</summary>
    private void Dispatch(IReadOnlyList<CoordinatorEvent>? first = null, Action? then = null)
    {
        var events = new List<CoordinatorEvent>(first ?? []);
        var offers = new List<(IActorRef Slot, TrialAssigned Assignment)>();
        foreach (var slotRef in _waiting.ToList())
        {
            var slot = _slots[slotRef];
            if (slot.Draining) continue;
            if (_queue.Assign(slot.Name, slot.OnlySweep) is not { } assigned) continue;
            _queue.Apply(assigned);
            _waiting.Remove(slotRef);
            events.Add(assigned);
            offers.Add((slotRef, assigned));
        }
        if (events.Count == 0) return;
        Commit(events, () =>
        {
            then?.Invoke();
            foreach (var (slotRef, a) in offers)
            {
                _confirmed.Add(a.TrialId);
                slotRef.Tell(new WorkAssigned(a.TrialId, _queue.SweepOf(a.TrialId), a.Assignment, _queue.OrderOf(a.TrialId)));
            }
        });
    }

    private void OnReturned(WorkReturned returned)
    {
        var (id, exit) = (returned.TrialId, returned.Exit);
        var current = _queue.AssignmentOf(id) is { } now && now.Slot == returned.Slot && now.Assignment == returned.Assignment;
        if (current) _confirmed.Remove(id);
        var decided = new List<CoordinatorEvent>();
        var loss = exit?.BestValLoss ?? double.PositiveInfinity;
        if (current && exit is { AtRung: true } && _queue.ReachRung(id, returned.Assignment, exit.Epochs, loss) is { } reached)
            decided.Add(reached);
        else if (current && exit?.End is null)
            ReleaseTrial(id, returned.Assignment, exit is null ? "it stopped without finishing" : "it was interrupted");
        else if (current && _queue.Finish(id, returned.Assignment, exit!.End!.Value, loss) is { } finished)
            decided.Add(finished);
        if (decided.Count > 0)
        {
            _queue.Apply(decided[0]);
            // Its cell's successive halving decides whatever this result makes certain (applied as decided).
            decided.AddRange(_queue.DecideRungs(id));
        }
        // A report that is no longer current (applied already from a registration, or outdated) changes nothing; and a
        // slot is only waiting for work while the queue gives it fewer than two trials (the one it runs and the next).
        if (returned.WantsWork && _slots.TryGetValue(Sender, out var slot) && !slot.Draining && _queue.AllOn(returned.Slot).Count < 2)
            _waiting.Add(Sender);
        if (decided.Count == 0)
        {
            Dispatch();
            return;
        }
        var sweepId = _queue.SweepOf(id);
        Dispatch(decided, () =>
        {
            NotifyIfEnded(sweepId);
            ReplicateEndedCells();
        });
    }

    // ---- replicates: a cell whose search has ended runs its chosen configuration again with fresh seeds ----

    /// <summary>Registers the replicates of every cell whose search has ended (their trial rows, which slots read their
    /// specs from), then journals them. A coordinator that dies in between registers them again: the ids are the
    /// hashes of their specs, so nothing is doubled.</summary>
    private void ReplicateEndedCells()
    {
        foreach (var (sweepId, cell, chosen) in _queue.CellsToReplicate())
        {
            if (!_replicating.Add((sweepId, cell))) continue;
            var seeds = _queue.PlanOf(sweepId)!.ReplicateSeeds;
            RegisterReplicatesAsync(_store, sweepId, chosen, seeds).PipeTo(Self,
                success: ids => new ReplicatesRegistered(sweepId, cell, chosen, ids),
                failure: ex => new ReplicatesUnregistered(sweepId, cell, ex.Message));
        }
    }

    private static async Task<IReadOnlyList<TrialId>> RegisterReplicatesAsync(ISweepCatalogue store, SweepId sweepId, TrialId? chosen,
        IReadOnlyList<int> seeds)
    {
        if (chosen is not { } trialId) return [];
        var row = await store.GetTrialAsync(trialId).ConfigureAwait(false)
                  ?? throw new InvalidOperationException($"the chosen trial {trialId} has no row");
        var sweep = await store.GetSweepAsync(sweepId).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the sweep {sweepId} has no row");
        var replicates = SweepPlan.Replicates(TrialSpecJson.Deserialize(row.SpecJson), seeds);
        var now = DateTimeOffset.UtcNow;
        await store.RegisterSweepAsync(sweep, [.. replicates.Select(t => new TrialRecord(t.Id, sweepId, t.CanonicalJson, TrialStatus.Pending, null, 0, now))])
            .ConfigureAwait(false);
        return [.. replicates.Select(t => t.Id)];
    }

    private void OnReplicatesRegistered(ReplicatesRegistered registered)
    {
        _replicating.Remove((registered.SweepId, registered.Cell));
        if (_queue.LaunchReplicates(registered.SweepId, registered.Cell, registered.Chosen, registered.TrialIds) is not { } launched) return;
        _queue.Apply(launched);
        var cell = _queue.PlanOf(registered.SweepId)!.Cells[registered.Cell].Name;
        _observer.Note(registered.Chosen is { } chosen
            ? $"sweep {registered.SweepId}: {cell} ended its search; {chosen} runs again with {launched.TrialIds.Count} fresh seed(s)"
            : $"sweep {registered.SweepId}: {cell} ended its search with no completed trial; it has no replicates");
        Dispatch([launched], () => NotifyIfEnded(registered.SweepId));
    }

    private void ReleaseTrial(TrialId trialId, int assignment, string reason)
    {
        if (_queue.Release(trialId, assignment, reason) is not { } released) return;
        _confirmed.Remove(trialId);
        _queue.Apply(released);
        _observer.Note($"{trialId}: handed back ({reason}); queued again");
        var sweepId = _queue.SweepOf(trialId);
        Commit([released], () =>
        {
            NotifyIfEnded(sweepId);
            Dispatch();
        });
    }

    /// <summary>A slot that stopped on a live node had its trial stopped with it: the trial is queued again at once. A
    /// slot whose node was removed, downed or cut off may still be finishing a commit on a node that does not know yet:
    /// its trials wait the removal margin, by which the node has downed itself too. A downed node's slots may also stop
    /// in its own shutdown, which reaches the coordinator as an ordinary stop: the node's membership decides, not how
    /// the death was heard of.</summary>
    private void SlotGone(Terminated terminated)
    {
        var slotRef = terminated.ActorRef;
        _waiting.Remove(slotRef);
        if (!_slots.Remove(slotRef, out var slot)) return;
        var held = _queue.AllOn(slot.Name).Select(on => (on.TrialId, on.Assignment)).ToList();
        if (held.Count == 0) return;
        if (_downedNodeMargin > TimeSpan.Zero && (terminated.AddressTerminated || NodeIsGoing(slotRef.Path.Address)))
        {
            _observer.Note($"{string.Join(", ", held.Select(h => h.TrialId))}: the node of {slot.Name} left the cluster; " +
                           $"queued again in {_downedNodeMargin.TotalSeconds:0} s, once it has surely stopped");
            Timers.StartSingleTimer($"gone:{slot.Name}", new ReleaseGoneSlot(held), _downedNodeMargin);
            return;
        }
        foreach (var (trialId, assignment) in held)
            ReleaseTrial(trialId, assignment, "its slot stopped");
    }

    /// <summary>A remote node that is no member, is down, or is unreachable.</summary>
    private bool NodeIsGoing(Address address)
    {
        if (address.HasLocalScope || address == _cluster.SelfAddress) return false;
        var state = _cluster.State;
        return state.Members.FirstOrDefault(m => m.Address == address) is not { Status: not MemberStatus.Down } ||
               state.Unreachable.Any(m => m.Address == address);
    }

    /// <summary>Recovered assignments no slot has confirmed, on nodes that are not (or no longer) cluster members, once
    /// the removal margin has passed since this coordinator recovered: it cannot know when such a node was removed (a
    /// moment before, perhaps), and a downed node may still be finishing a commit within the margin.</summary>
    private void ReleaseAssignmentsOfGoneNodes()
    {
        if (_sinceRecovered.Elapsed < _downedNodeMargin) return;
        var members = _cluster.State.Members
            .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining or MemberStatus.Leaving or MemberStatus.Exiting)
            .Select(m => m.Address).ToHashSet();
        foreach (var (trialId, slot, assignment) in _queue.Running.Where(r => !_confirmed.Contains(r.TrialId)).ToList())
        {
            if (!ActorPath.TryParse(slot, out var path) || !members.Contains(path.Address))
                ReleaseTrial(trialId, assignment, $"its node {(path is null ? slot : path.Address.ToString())} is not in the cluster");
        }
    }

    // ---- journal and rows ----

    /// <summary>Journals events already applied to the queue; <paramref name="after"/> runs once all are stored.</summary>
    private void Commit(IReadOnlyList<CoordinatorEvent> events, Action after)
    {
        var left = events.Count;
        PersistAll(events, e =>
        {
            Project(e);
            if (--left > 0) return;
            after();
            _sinceSnapshot += events.Count;
            if (_sinceSnapshot < _settings.SnapshotEvery) return;
            _sinceSnapshot = 0;
            SaveSnapshot(_queue.Snapshot());
        });
    }

    private void Project(CoordinatorEvent e)
    {
        // A retired sweep's rows are final already; a revived one's come from its rows.
        if (e is SweepRetired or SweepRevived) return;
        var (trials, sweeps) = e switch
        {
            SweepLaunched l => (l.TrialIds, new[] { l.SweepId }),
            SweepCancelled c => (_queue.TrialsOf(c.SweepId), new[] { c.SweepId }),
            SweepResumed r => (_queue.TrialsOf(r.SweepId), new[] { r.SweepId }),
            TrialAssigned a => (new[] { a.TrialId }, []),
            TrialReleased r => (new[] { r.TrialId }, []),
            TrialFinished f => (new[] { f.TrialId }, Array.Empty<SweepId>()),
            TrialReachedRung r => (new[] { r.TrialId }, []),
            ReplicatesLaunched r => (r.TrialIds, []),
            _ => (Array.Empty<TrialId>(), Array.Empty<SweepId>()),
        };
        _rows.Tell(new RowsChanged(trials.Select(Row).ToList(), sweeps.ToDictionary(s => s, _queue.IsCancelled)));
    }

    private TrialRowUpdate Row(TrialId trialId)
    {
        return new TrialRowUpdate(trialId, _queue.StatusOf(trialId) ?? TrialStatus.Pending, _queue.AssignmentOf(trialId)?.Slot, _queue.AssignmentsOf(trialId), DateTimeOffset.UtcNow);
    }

    private IReadOnlyDictionary<string, int> Counts(SweepId sweepId) =>
        _queue.Counts(sweepId).OrderBy(kv => kv.Key).ToDictionary(kv => kv.Key.ToString().ToLowerInvariant(), kv => kv.Value, StringComparer.Ordinal);

    private IActorRef? SlotRef(string slot) => _slots.FirstOrDefault(kv => kv.Value.Name == slot).Key;

    private QueueStatus Status() => new(
        _cluster.SelfAddress.ToString(),
        _queue.PendingCount,
        _queue.Running.Select(r => new RunningAssignment(r.TrialId, _queue.SweepOf(r.TrialId), r.Slot, r.Assignment)).ToList(),
        _slots.Values.Select(s => new SlotSummary(s.Name, NodeOf(s.Name), _queue.RunningOn(s.Name) is not null, s.Draining)).ToList());

    private static string NodeOf(string slot) => ActorPath.TryParse(slot, out var path) ? path.Address.ToString() : slot;

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _observer.Note($"coordinator: journal write {sequenceNr} failed ({cause.GetType().Name}: {cause.Message}); restarting from the journal");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _observer.Note($"coordinator: journal not readable ({reason.GetType().Name}: {reason.Message}); retrying with backoff");
        base.OnRecoveryFailure(reason, message);
    }

    private sealed class SlotEntry(string name, SweepId? onlySweep)
    {
        public string Name { get; } = name;
        public SweepId? OnlySweep { get; } = onlySweep;
        public bool Draining { get; set; }
    }

    private sealed record ReleaseGoneSlot(IReadOnlyList<(TrialId TrialId, int Assignment)> Assignments);

    /// <summary>A sweep the queue does not know, as its rows in the store have it.</summary>
    private sealed record RetiredSweep(SweepId SweepId, string Name, bool Cancelled, IReadOnlyList<(TrialId TrialId, TrialStatus Status)> Trials,
        IReadOnlySet<TrialId> EndedElsewhere);

    private sealed record RetiredSweepRead(RetiredSweep Sweep, IActorRef Reply, Action<IActorRef, IReadOnlyCollection<TrialId>> Then);

    private sealed record RowsUnreadable(SweepId SweepId, string Reason);

    private sealed record RowsFlushedFor(SweepId SweepId);

    private sealed record ReplicatesRegistered(SweepId SweepId, int Cell, TrialId? Chosen, IReadOnlyList<TrialId> TrialIds);

    private sealed record ReplicatesUnregistered(SweepId SweepId, int Cell, string Reason);

    private sealed record RetireDeferred(SweepId SweepId);

    private sealed record Reconcile
    {
        public static Reconcile Instance { get; } = new();
    }
}
