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

    public bool HasEnded(SweepId sweepId) =>
        _sweeps.TryGetValue(sweepId, out var s) && s.CountOf(TrialStatus.Pending) == 0 && s.CountOf(TrialStatus.Running) == 0;

    // ---- decisions ----

    /// <summary>Launching again adds only trials the coordinator does not have (a trial belongs to the sweep that
    /// launched it first); null when nothing is new.</summary>
    public SweepLaunched? Launch(SweepId sweepId, string name, IEnumerable<TrialId> trialIds)
    {
        var added = trialIds.Distinct().Where(id => !_trials.ContainsKey(id)).ToList();
        return added.Count == 0 && Knows(sweepId) ? null : new SweepLaunched(sweepId, name, added);
    }

    /// <summary>A sweep whose every trial has ended leaves the state (null while one is pending or running).</summary>
    public SweepRetired? Retire(SweepId sweepId) => HasEnded(sweepId) ? new SweepRetired(sweepId) : null;

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

    public TrialFinished? Finish(TrialId trialId, int assignment, TrialEnd end) =>
        IsCurrent(trialId, assignment) ? new TrialFinished(trialId, assignment, end) : null;

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
                foreach (var id in launched.TrialIds)
                {
                    if (_trials.ContainsKey(id)) continue;
                    Add(id, new Trial(launched.SweepId) { Status = sweep.Cancelled ? TrialStatus.Cancelled : TrialStatus.Pending });
                    if (!sweep.Cancelled) Enqueue(id, first: false);
                }
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
                break;
            }
        }
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
                s.Trials.Select(t => new TrialSnapshot(t, _trials[t].Status, _trials[t].Slot, _trials[t].Assignments)).ToList());
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
                queue.Add(t.Id, new Trial(s.Id) { Status = t.Status, Slot = t.Slot, Assignments = t.Assignments });
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

        public int CountOf(TrialStatus status) => Counts.GetValueOrDefault(status);

        public void Count(TrialStatus status, int change) => Counts[status] = CountOf(status) + change;
    }

    private sealed class Trial(SweepId sweepId)
    {
        public SweepId SweepId { get; } = sweepId;
        public TrialStatus Status { get; set; }
        public string? Slot { get; set; }
        public int Assignments { get; set; }
    }
}
