using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Coordination;

/// <summary>
/// The sweep coordinator's state: the sweeps launched, the queue of pending trials (oldest sweep first; a trial handed
/// back goes first in line), and which trial runs on which slot in which assignment. Decisions return the event to
/// journal (null: nothing to do); <see cref="Apply"/> is the only way the state changes, the same on a command and in
/// recovery. Mutable for speed (a sweep may hold 100,000 trials) but deterministic: no clock, no I/O.
/// </summary>
public sealed class WorkQueue
{
    private readonly Dictionary<SweepId, Sweep> _sweeps = [];
    private readonly List<SweepId> _sweepOrder = [];
    private readonly Dictionary<TrialId, Trial> _trials = [];
    private readonly LinkedList<TrialId> _pending = new();
    private readonly Dictionary<TrialId, LinkedListNode<TrialId>> _queued = [];
    // Indexes kept by Add and Move, so that what a slot runs and whether a sweep has ended are answered without a
    // scan of every trial (a coordinator of 100,000 trials hears from each of its slots every 2 s).
    private readonly Dictionary<string, HashSet<TrialId>> _runningBySlot = new(StringComparer.Ordinal);
    private readonly HashSet<TrialId> _running = [];

    public int PendingCount => _pending.Count;

    public IEnumerable<SweepId> SweepIds => _sweepOrder;

    public bool Knows(SweepId sweepId) => _sweeps.ContainsKey(sweepId);

    public bool IsCancelled(SweepId sweepId) => _sweeps.TryGetValue(sweepId, out var s) && s.Cancelled;

    public IReadOnlyList<TrialId> TrialsOf(SweepId sweepId) => _sweeps.TryGetValue(sweepId, out var s) ? s.Trials : [];

    public TrialStatus? StatusOf(TrialId trialId) => _trials.TryGetValue(trialId, out var t) ? t.Status : null;

    public SweepId SweepOf(TrialId trialId) => _trials[trialId].SweepId;

    /// <summary>The trial's current assignment (slot and number), or null when it does not run.</summary>
    public (string Slot, int Assignment)? AssignmentOf(TrialId trialId) =>
        _trials.TryGetValue(trialId, out var t) && t.Status == TrialStatus.Running ? (t.Slot!, t.Assignments) : null;

    public int AssignmentsOf(TrialId trialId) => _trials.TryGetValue(trialId, out var t) ? t.Assignments : 0;

    public IEnumerable<(TrialId TrialId, string Slot, int Assignment)> Running =>
        _running.Select(id => (id, _trials[id].Slot!, _trials[id].Assignments));

    public int RunningCount => _running.Count;

    /// <summary>A trial assigned to <paramref name="slot"/> (it may hold two: the one it runs and the next).</summary>
    public (TrialId TrialId, int Assignment)? RunningOn(string slot) =>
        _runningBySlot.TryGetValue(slot, out var ids) && ids.Count > 0 ? (ids.First(), _trials[ids.First()].Assignments) : null;

    /// <summary>Every trial assigned to <paramref name="slot"/>, in no particular order.</summary>
    public IReadOnlyList<(TrialId TrialId, int Assignment)> AllOn(string slot) =>
        _runningBySlot.TryGetValue(slot, out var ids) ? ids.Select(id => (id, _trials[id].Assignments)).ToList() : [];

    /// <summary>Trials by status (those with at least one); a sweep is over when none is pending or running.</summary>
    public IReadOnlyDictionary<TrialStatus, int> Counts(SweepId sweepId) =>
        _sweeps.TryGetValue(sweepId, out var s) ? s.Counts.Where(kv => kv.Value > 0).ToDictionary() : new Dictionary<TrialStatus, int>();

    /// <summary>No trial of the sweep is pending (waiting on its rung included) or running, and every cell that
    /// replicates has launched its replicates (unless the sweep is cancelled).</summary>
    public bool HasEnded(SweepId sweepId) =>
        _sweeps.TryGetValue(sweepId, out var s) && s.CountOf(TrialStatus.Pending) == 0 && s.CountOf(TrialStatus.Running) == 0
        && (s.Cancelled || s.Plan is not { ReplicateSeeds.Count: > 0 } plan || s.Replicated.Count == plan.Cells.Count);

    /// <summary>The sweep's plan: its cells, rungs and replicate seeds (null for a flat sweep).</summary>
    public SweepPlan? PlanOf(SweepId sweepId) => _sweeps.TryGetValue(sweepId, out var s) ? s.Plan : null;

    /// <summary>What a laddered trial's next assignment asks (<see cref="RungOrder"/>); null for a trial on no ladder.</summary>
    public RungOrder? OrderOf(TrialId trialId)
    {
        if (!_trials.TryGetValue(trialId, out var t) || t.Place is not { } place) return null;
        var rungs = RungsOf(t);
        return new RungOrder(place.Cleared, place.Cleared < rungs.Count ? rungs[place.Cleared] : 0, place.Pruned, place.Better);
    }

    // ---- decisions ----

    /// <summary>Launching again adds only trials the coordinator does not have (a trial belongs to the sweep that
    /// launched it first); null when nothing is new.</summary>
    /// <remarks>A <paramref name="plan"/> comes with a sweep's first launch only: the ladders of a sweep under way are
    /// never redrawn.</remarks>
    public SweepLaunched? Launch(SweepId sweepId, string name, IEnumerable<TrialId> trialIds, SweepPlan? plan = null)
    {
        var added = trialIds.Distinct().Where(id => !_trials.ContainsKey(id)).ToList();
        if (Knows(sweepId)) return added.Count == 0 ? null : new SweepLaunched(sweepId, name, added);
        return new SweepLaunched(sweepId, name, added, plan);
    }

    /// <summary>A sweep whose every trial has ended leaves the state (null while one is pending or running). A cancelled
    /// sweep with ladders stays until it is resumed and ends: revived from its rows it would come back without them.</summary>
    public SweepRetired? Retire(SweepId sweepId) =>
        HasEnded(sweepId) && !(_sweeps[sweepId].Plan is not null && _sweeps[sweepId].Cancelled) ? new SweepRetired(sweepId) : null;

    /// <summary>Brings back a retired sweep with its <paramref name="ended"/> trials (as the store's rows hold them), those
    /// the queue does not have; null when the queue knows the sweep or none of them is new.</summary>
    public SweepRevived? Revive(SweepId sweepId, string name, bool cancelled, IEnumerable<(TrialId TrialId, TrialStatus Status)> ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        if (Knows(sweepId)) return null;
        var trials = ended
            .Where(t => t.Status.HasEnded() && !_trials.ContainsKey(t.TrialId))
            .Select(t => new TrialSnapshot(t.TrialId, t.Status, null, 0)).ToList();
        return trials.Count == 0 ? null : new SweepRevived(sweepId, name, cancelled, trials);
    }

    public SweepCancelled? Cancel(SweepId sweepId) => Knows(sweepId) && !IsCancelled(sweepId) ? new SweepCancelled(sweepId) : null;

    public SweepResumed? Resume(SweepId sweepId) => IsCancelled(sweepId) ? new SweepResumed(sweepId) : null;

    /// <summary>The next pending trial for <paramref name="slot"/> (of <paramref name="onlySweep"/> when given).</summary>
    public TrialAssigned? Assign(string slot, SweepId? onlySweep = null)
    {
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            var trial = _trials[node.Value];
            if (onlySweep is null || trial.SweepId == onlySweep) return new TrialAssigned(node.Value, slot, trial.Assignments + 1);
        }
        return null;
    }

    public TrialReleased? Release(TrialId trialId, int assignment, string reason) =>
        IsCurrent(trialId, assignment) ? new TrialReleased(trialId, assignment, reason) : null;

    /// <summary><paramref name="bestValLoss"/>: the trial's lowest validation loss, kept for a trial on a ladder.</summary>
    public TrialFinished? Finish(TrialId trialId, int assignment, TrialEnd end, double? bestValLoss = null) =>
        IsCurrent(trialId, assignment)
            ? new TrialFinished(trialId, assignment, end, _trials[trialId].Place is null ? null : bestValLoss)
            : null;

    /// <summary>A trial that trained to its rung's epochs and left its slot; null when the report is not current or the
    /// trial has no rung to reach.</summary>
    public TrialReachedRung? ReachRung(TrialId trialId, int assignment, int epoch, double valLoss)
    {
        if (!IsCurrent(trialId, assignment) || _trials[trialId].Place is not { Pruned: false } place) return null;
        var rungs = RungsOf(_trials[trialId]);
        return place.Cleared < rungs.Count ? new TrialReachedRung(trialId, assignment, place.Cleared, epoch, valLoss) : null;
    }

    /// <summary>The promotions and prunings that the results of <paramref name="trialId"/>'s cell make certain now
    /// (<see cref="SuccessiveHalving"/>). Each is applied as it is made: a promoted trial that had ended takes its
    /// result up a rung at once, which may decide more.</summary>
    public IReadOnlyList<CoordinatorEvent> DecideRungs(TrialId trialId)
    {
        var made = new List<CoordinatorEvent>();
        if (!_trials.TryGetValue(trialId, out var trial) || trial.Place is not { } place) return made;
        var sweep = _sweeps[trial.SweepId];
        var cell = sweep.Cells[place.Cell];
        var rungs = RungsOf(trial);
        if (rungs.Count == 0) return made;
        var sizes = SuccessiveHalving.CohortSizes(cell.Count, sweep.Plan!.Reduction, rungs.Count);
        for (var k = 0; k < rungs.Count; k++)
        {
            var known = cell.Where(id => _trials[id].Place!.Results.Count > k).Select(id => (Trial: id, Loss: _trials[id].Place!.Results[k]))
                .OrderBy(r => SuccessiveHalving.Rankable(r.Loss)).ThenBy(r => r.Trial.Value, StringComparer.Ordinal).ToList();
            for (var rank = 0; rank < known.Count; rank++)
            {
                var (id, loss) = known[rank];
                var at = _trials[id].Place!;
                if (at.Cleared != k || at.Pruned) continue;
                CoordinatorEvent? decided = null;
                if (rank >= sizes[k + 1]) decided = new TrialPruned(id, k, loss, rank);
                else if (known.Count - 1 - rank >= sizes[k] - sizes[k + 1]) decided = new TrialPromoted(id, k + 1);
                if (decided is null) continue;
                Apply(decided);
                made.Add(decided);
            }
        }
        return made;
    }

    /// <summary>Cells whose search has ended (every trial ended, none cancelled) and whose replicates are still to be
    /// launched, each with its chosen configuration: the deepest rung's best (null when no trial has a finite loss).</summary>
    public IReadOnlyList<(SweepId SweepId, int Cell, TrialId? Chosen)> CellsToReplicate()
    {
        var due = new List<(SweepId, int, TrialId?)>();
        foreach (var (sweepId, sweep) in _sweeps)
        {
            if (sweep.Cancelled || sweep.Plan is not { ReplicateSeeds.Count: > 0 }) continue;
            for (var c = 0; c < sweep.Cells.Count; c++)
            {
                if (sweep.Replicated.Contains(c)) continue;
                var cell = sweep.Cells[c];
                if (!cell.All(id => _trials[id].Status.HasEnded() && _trials[id].Status != TrialStatus.Cancelled)) continue;
                var chosen = cell
                    .Select(id => (Id: id, Place: _trials[id].Place!))
                    .Where(t => t.Place.Results.Count > t.Place.Cleared && double.IsFinite(t.Place.Results[t.Place.Cleared]))
                    .OrderByDescending(t => t.Place.Cleared)
                    .ThenBy(t => t.Place.Results[t.Place.Cleared])
                    .ThenBy(t => t.Id.Value, StringComparer.Ordinal)
                    .Select(t => (TrialId?)t.Id).FirstOrDefault();
                due.Add((sweepId, c, chosen));
            }
        }
        return due;
    }

    /// <summary>The replicates of a cell whose search has ended; null when they were launched already.</summary>
    public ReplicatesLaunched? LaunchReplicates(SweepId sweepId, int cell, TrialId? chosen, IReadOnlyList<TrialId> trialIds) =>
        _sweeps.TryGetValue(sweepId, out var s) && s.Plan is not null && !s.Replicated.Contains(cell)
            ? new ReplicatesLaunched(sweepId, cell, chosen, [.. trialIds.Distinct().Where(id => !_trials.ContainsKey(id))])
            : null;

    private bool IsCurrent(TrialId trialId, int assignment) =>
        _trials.TryGetValue(trialId, out var t) && t.Status == TrialStatus.Running && t.Assignments == assignment;

    // ---- evolution ----

    public void Apply(CoordinatorEvent e)
    {
        switch (e)
        {
            case SweepLaunched launched:
                if (!_sweeps.TryGetValue(launched.SweepId, out var sweep))
                {
                    sweep = new Sweep(launched.Name);
                    _sweeps[launched.SweepId] = sweep;
                    _sweepOrder.Add(launched.SweepId);
                }
                var added = AddLaunched(launched.SweepId, sweep, launched.TrialIds);
                if (launched.Plan is { } plan && sweep.Plan is null) Place(sweep, plan, added);
                break;
            case ReplicatesLaunched replicates when _sweeps.TryGetValue(replicates.SweepId, out var s) && s.Plan is not null:
                s.Replicated.Add(replicates.Cell);
                AddLaunched(replicates.SweepId, s, replicates.TrialIds);
                break;
            case TrialReachedRung reached when IsCurrent(reached.TrialId, reached.Assignment) && _trials[reached.TrialId].Place is { } place:
                // It waits off the queue until its cell promotes or prunes it.
                Move(reached.TrialId, TrialStatus.Pending, null);
                SetResult(place, reached.Rung, reached.ValLoss);
                break;
            case TrialPromoted promoted when _trials.TryGetValue(promoted.TrialId, out var t) && t.Place is { } place:
                place.Cleared = promoted.Rung;
                if (place.Final is { } final) SetResult(place, promoted.Rung, final);
                else if (t.Status == TrialStatus.Pending) Enqueue(promoted.TrialId, first: true);
                break;
            case TrialPruned pruned when _trials.TryGetValue(pruned.TrialId, out var t) && t.Place is { } place:
                place.Pruned = true;
                place.Better = pruned.Better;
                if (t.Status == TrialStatus.Pending) Enqueue(pruned.TrialId, first: true);
                break;
            case SweepRetired retired when HasEnded(retired.SweepId):
                foreach (var id in _sweeps[retired.SweepId].Trials) _trials.Remove(id);
                _sweeps.Remove(retired.SweepId);
                _sweepOrder.Remove(retired.SweepId);
                break;
            case SweepRevived revived when !Knows(revived.SweepId):
                _sweeps[revived.SweepId] = new Sweep(revived.Name) { Cancelled = revived.Cancelled };
                _sweepOrder.Add(revived.SweepId);
                foreach (var t in revived.Trials.Where(t => !_trials.ContainsKey(t.Id)))
                    Add(t.Id, new Trial(revived.SweepId) { Status = t.Status, Assignments = t.Assignments });
                break;
            case SweepCancelled cancelled when _sweeps.TryGetValue(cancelled.SweepId, out var s):
                s.Cancelled = true;
                foreach (var id in s.Trials.Where(id => _trials[id].Status == TrialStatus.Pending))
                {
                    Move(id, TrialStatus.Cancelled, null);
                    Dequeue(id);
                }
                break;
            case SweepResumed resumed when _sweeps.TryGetValue(resumed.SweepId, out var s):
                s.Cancelled = false;
                foreach (var id in s.Trials.Where(id => _trials[id].Status == TrialStatus.Cancelled))
                {
                    Move(id, TrialStatus.Pending, null);
                    Enqueue(id, first: false);
                }
                break;
            case TrialAssigned assigned when _trials.TryGetValue(assigned.TrialId, out var t) && t.Status == TrialStatus.Pending:
                t.Assignments = assigned.Assignment;
                Move(assigned.TrialId, TrialStatus.Running, assigned.Slot);
                Dequeue(assigned.TrialId);
                break;
            case TrialReleased released when IsCurrent(released.TrialId, released.Assignment):
            {
                if (_sweeps[_trials[released.TrialId].SweepId].Cancelled)
                {
                    Move(released.TrialId, TrialStatus.Cancelled, null);
                }
                else
                {
                    Move(released.TrialId, TrialStatus.Pending, null);
                    Enqueue(released.TrialId, first: true);
                }
                break;
            }
            case TrialFinished finished when IsCurrent(finished.TrialId, finished.Assignment):
            {
                if (finished.End == TrialEnd.Cancelled && !_sweeps[_trials[finished.TrialId].SweepId].Cancelled)
                {
                    // Stopped for a cancellation that was withdrawn (resumed) before the stop arrived: the trial is
                    // wanted again, so it is queued like one handed back. A cancelled trial outside a cancelled sweep
                    // would never run again, since only resuming a cancelled sweep queues its cancelled trials.
                    Move(finished.TrialId, TrialStatus.Pending, null);
                    Enqueue(finished.TrialId, first: true);
                    break;
                }
                Move(finished.TrialId, finished.End.Status(), null);
                if (_trials[finished.TrialId].Place is { } place && finished.End is not (TrialEnd.Cancelled or TrialEnd.Pruned))
                {
                    // A failed or diverged trial ranks last on its ladder.
                    place.Final = finished.End == TrialEnd.Completed ? finished.BestValLoss ?? double.PositiveInfinity : double.PositiveInfinity;
                    SetResult(place, place.Cleared, place.Final.Value);
                }
                break;
            }
        }
    }

    /// <summary>The trials of a launch the queue did not have, added pending (cancelled in a cancelled sweep).</summary>
    private List<TrialId> AddLaunched(SweepId sweepId, Sweep sweep, IEnumerable<TrialId> trialIds)
    {
        var added = new List<TrialId>();
        foreach (var id in trialIds)
        {
            if (_trials.ContainsKey(id)) continue;
            Add(id, new Trial(sweepId) { Status = sweep.Cancelled ? TrialStatus.Cancelled : TrialStatus.Pending });
            if (!sweep.Cancelled) Enqueue(id, first: false);
            added.Add(id);
        }
        return added;
    }

    /// <summary>Puts the plan's trials that this sweep holds on their cells' ladders, at rung 0.</summary>
    private void Place(Sweep sweep, SweepPlan plan, IReadOnlyCollection<TrialId> added)
    {
        sweep.Plan = plan;
        var own = added.ToHashSet();
        for (var c = 0; c < plan.Cells.Count; c++)
        {
            var cell = plan.Cells[c].Trials.Where(own.Contains).ToList();
            foreach (var id in cell) _trials[id].Place = new LadderState(c);
            sweep.Cells.Add(cell);
        }
    }

    /// <summary>The rung epochs of a laddered trial's cell.</summary>
    private IReadOnlyList<int> RungsOf(Trial trial) => _sweeps[trial.SweepId].Plan!.Cells[trial.Place!.Cell].Rungs;

    /// <summary>The trial's loss at <paramref name="rung"/>: set again (the same value) when a report is replayed.</summary>
    private static void SetResult(LadderState place, int rung, double loss)
    {
        if (rung < place.Results.Count) place.Results[rung] = loss;
        else if (rung == place.Results.Count) place.Results.Add(loss);
    }

    /// <summary>A new trial of its sweep, counted and indexed.</summary>
    private void Add(TrialId id, Trial trial)
    {
        _trials[id] = trial;
        var sweep = _sweeps[trial.SweepId];
        sweep.Trials.Add(id);
        sweep.Count(trial.Status, +1);
        if (trial.Status == TrialStatus.Running) Index(id, trial.Slot!);
    }

    /// <summary>Every status change goes through here, which keeps the counts and the running index.</summary>
    private void Move(TrialId id, TrialStatus status, string? slot)
    {
        var trial = _trials[id];
        var sweep = _sweeps[trial.SweepId];
        sweep.Count(trial.Status, -1);
        if (trial.Status == TrialStatus.Running) Unindex(id, trial.Slot!);
        trial.Status = status;
        trial.Slot = slot;
        sweep.Count(status, +1);
        if (status == TrialStatus.Running) Index(id, slot!);
    }

    private void Index(TrialId id, string slot)
    {
        _running.Add(id);
        if (!_runningBySlot.TryGetValue(slot, out var ids)) _runningBySlot[slot] = ids = [];
        ids.Add(id);
    }

    private void Unindex(TrialId id, string slot)
    {
        _running.Remove(id);
        if (_runningBySlot.TryGetValue(slot, out var ids) && ids.Remove(id) && ids.Count == 0) _runningBySlot.Remove(slot);
    }

    private void Enqueue(TrialId trialId, bool first)
    {
        if (_queued.ContainsKey(trialId)) return;
        _queued[trialId] = first ? _pending.AddFirst(trialId) : _pending.AddLast(trialId);
    }

    private void Dequeue(TrialId trialId)
    {
        if (_queued.Remove(trialId, out var node)) _pending.Remove(node);
    }

    // ---- snapshots ----

    public WorkQueueSnapshot Snapshot() => new(
        _sweepOrder.Select(id =>
        {
            var s = _sweeps[id];
            return new SweepSnapshot(id, s.Name, s.Cancelled,
                s.Trials.Select(t => new TrialSnapshot(t, _trials[t].Status, _trials[t].Slot, _trials[t].Assignments, _trials[t].Place?.Snapshot())).ToList(),
                s.Plan, s.Plan is null ? null : [.. s.Replicated.Order()]);
        }).ToList(),
        [.. _pending]);

    public static WorkQueue From(WorkQueueSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var queue = new WorkQueue();
        foreach (var s in snapshot.Sweeps)
        {
            var sweep = new Sweep(s.Name) { Cancelled = s.Cancelled };
            queue._sweeps[s.Id] = sweep;
            queue._sweepOrder.Add(s.Id);
            foreach (var t in s.Trials)
                queue.Add(t.Id, new Trial(s.Id) { Status = t.Status, Slot = t.Slot, Assignments = t.Assignments, Place = LadderState.From(t.Ladder) });
            if (s.Plan is not { } plan) continue;
            sweep.Plan = plan;
            sweep.Replicated.UnionWith(s.Replicated ?? []);
            for (var c = 0; c < plan.Cells.Count; c++)
                sweep.Cells.Add([.. s.Trials.Where(t => t.Ladder?.Cell == c).Select(t => t.Id)]);
        }
        foreach (var id in snapshot.Pending) queue.Enqueue(id, first: false);
        return queue;
    }

    private sealed class Sweep(string name)
    {
        public string Name { get; } = name;
        public bool Cancelled { get; set; }
        public List<TrialId> Trials { get; } = [];
        public Dictionary<TrialStatus, int> Counts { get; } = [];
        public SweepPlan? Plan { get; set; }
        // The trials of each plan cell that this sweep holds, in plan order; and the cells whose replicates are launched.
        public List<List<TrialId>> Cells { get; } = [];
        public HashSet<int> Replicated { get; } = [];

        public int CountOf(TrialStatus status) => Counts.GetValueOrDefault(status);

        public void Count(TrialStatus status, int change) => Counts[status] = CountOf(status) + change;
    }

    private sealed class Trial(SweepId sweepId)
    {
        public SweepId SweepId { get; } = sweepId;
        public TrialStatus Status { get; set; }
        public string? Slot { get; set; }
        public int Assignments { get; set; }
        public LadderState? Place { get; set; }
    }

    /// <summary>A trial's place on its cell's ladder (<see cref="LadderPlace"/>).</summary>
    private sealed class LadderState(int cell)
    {
        public int Cell { get; } = cell;
        public int Cleared { get; set; }
        public List<double> Results { get; } = [];
        public bool Pruned { get; set; }
        public int Better { get; set; }
        public double? Final { get; set; }

        public LadderPlace Snapshot() => new(Cell, Cleared, [.. Results], Pruned, Final, Better);

        public static LadderState? From(LadderPlace? place)
        {
            if (place is null) return null;
            var state = new LadderState(place.Cell) { Cleared = place.Cleared, Pruned = place.Pruned, Final = place.Final, Better = place.Better };
            state.Results.AddRange(place.Results);
            return state;
        }
    }
}
