namespace Orchestrator.Domain.Coordination;

/// <summary>
/// The sweep coordinator's state: the sweeps launched, the queue of pending trials (oldest sweep first; a trial handed
/// back goes first in line), and which trial runs on which slot in which assignment. Decisions return the event to
/// journal (null: nothing to do); <see cref="Apply"/> is the only way the state changes, the same on a command and in
/// recovery. Mutable for speed (a sweep may hold 100,000 trials) but deterministic: no clock, no I/O.
/// </summary>
public sealed class WorkQueue
{
    private readonly Dictionary<string, Sweep> _sweeps = new(StringComparer.Ordinal);
    private readonly List<string> _sweepOrder = [];
    private readonly Dictionary<string, Trial> _trials = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _pending = new();
    private readonly Dictionary<string, LinkedListNode<string>> _queued = new(StringComparer.Ordinal);

    public int PendingCount => _pending.Count;

    public IEnumerable<string> SweepIds => _sweepOrder;

    public bool Knows(string sweepId) => _sweeps.ContainsKey(sweepId);

    public bool IsCancelled(string sweepId) => _sweeps.TryGetValue(sweepId, out var s) && s.Cancelled;

    public IReadOnlyList<string> TrialsOf(string sweepId) => _sweeps.TryGetValue(sweepId, out var s) ? s.Trials : [];

    public WorkStatus? StatusOf(string trialId) => _trials.TryGetValue(trialId, out var t) ? t.Status : null;

    public string SweepOf(string trialId) => _trials[trialId].SweepId;

    /// <summary>The trial's current assignment (slot and number), or null when it does not run.</summary>
    public (string Slot, int Assignment)? AssignmentOf(string trialId) =>
        _trials.TryGetValue(trialId, out var t) && t.Status == WorkStatus.Running ? (t.Slot!, t.Assignments) : null;

    public int AssignmentsOf(string trialId) => _trials.TryGetValue(trialId, out var t) ? t.Assignments : 0;

    public IEnumerable<(string TrialId, string Slot, int Assignment)> Running =>
        _trials.Where(kv => kv.Value.Status == WorkStatus.Running).Select(kv => (kv.Key, kv.Value.Slot!, kv.Value.Assignments));

    /// <summary>Trials by status; a sweep is over when none is pending or running.</summary>
    public IReadOnlyDictionary<WorkStatus, int> Counts(string sweepId) =>
        TrialsOf(sweepId).GroupBy(id => _trials[id].Status).ToDictionary(g => g.Key, g => g.Count());

    public bool HasEnded(string sweepId) =>
        Knows(sweepId) && TrialsOf(sweepId).All(id => _trials[id].Status is not (WorkStatus.Pending or WorkStatus.Running));

    // ---- decisions ----

    /// <summary>Launching again adds only trials the coordinator does not have (a trial belongs to the sweep that
    /// launched it first); null when nothing is new.</summary>
    public SweepLaunched? Launch(string sweepId, string name, IEnumerable<string> trialIds)
    {
        var added = trialIds.Distinct(StringComparer.Ordinal).Where(id => !_trials.ContainsKey(id)).ToList();
        return added.Count == 0 && Knows(sweepId) ? null : new SweepLaunched(sweepId, name, added);
    }

    public SweepCancelled? Cancel(string sweepId) => Knows(sweepId) && !IsCancelled(sweepId) ? new SweepCancelled(sweepId) : null;

    public SweepResumed? Resume(string sweepId) => IsCancelled(sweepId) ? new SweepResumed(sweepId) : null;

    /// <summary>The next pending trial for <paramref name="slot"/> (of <paramref name="onlySweep"/> when given).</summary>
    public TrialAssigned? Assign(string slot, string? onlySweep = null)
    {
        for (var node = _pending.First; node is not null; node = node.Next)
        {
            var trial = _trials[node.Value];
            if (onlySweep is null || trial.SweepId == onlySweep) return new TrialAssigned(node.Value, slot, trial.Assignments + 1);
        }
        return null;
    }

    public TrialReleased? Release(string trialId, int assignment, string reason) =>
        IsCurrent(trialId, assignment) ? new TrialReleased(trialId, assignment, reason) : null;

    public TrialFinished? Finish(string trialId, int assignment, WorkEnd end) =>
        IsCurrent(trialId, assignment) ? new TrialFinished(trialId, assignment, end) : null;

    private bool IsCurrent(string trialId, int assignment) =>
        _trials.TryGetValue(trialId, out var t) && t.Status == WorkStatus.Running && t.Assignments == assignment;

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
                    sweep.Trials.Add(id);
                    _trials[id] = new Trial(launched.SweepId) { Status = sweep.Cancelled ? WorkStatus.Cancelled : WorkStatus.Pending };
                    if (!sweep.Cancelled) Enqueue(id, first: false);
                }
                break;
            case SweepCancelled cancelled when _sweeps.TryGetValue(cancelled.SweepId, out var s):
                s.Cancelled = true;
                foreach (var id in s.Trials.Where(id => _trials[id].Status == WorkStatus.Pending))
                {
                    _trials[id].Status = WorkStatus.Cancelled;
                    Dequeue(id);
                }
                break;
            case SweepResumed resumed when _sweeps.TryGetValue(resumed.SweepId, out var s):
                s.Cancelled = false;
                foreach (var id in s.Trials.Where(id => _trials[id].Status == WorkStatus.Cancelled))
                {
                    _trials[id].Status = WorkStatus.Pending;
                    Enqueue(id, first: false);
                }
                break;
            case TrialAssigned assigned when _trials.TryGetValue(assigned.TrialId, out var t) && t.Status == WorkStatus.Pending:
                t.Status = WorkStatus.Running;
                t.Slot = assigned.Slot;
                t.Assignments = assigned.Assignment;
                Dequeue(assigned.TrialId);
                break;
            case TrialReleased released when IsCurrent(released.TrialId, released.Assignment):
            {
                var t = _trials[released.TrialId];
                t.Slot = null;
                if (_sweeps[t.SweepId].Cancelled)
                {
                    t.Status = WorkStatus.Cancelled;
                }
                else
                {
                    t.Status = WorkStatus.Pending;
                    Enqueue(released.TrialId, first: true);
                }
                break;
            }
            case TrialFinished finished when IsCurrent(finished.TrialId, finished.Assignment):
            {
                var t = _trials[finished.TrialId];
                t.Slot = null;
                if (finished.End == WorkEnd.Cancelled && !_sweeps[t.SweepId].Cancelled)
                {
                    // Stopped for a cancellation that was withdrawn (resumed) before the stop arrived: the trial is
                    // wanted again, so it is queued like one handed back. A cancelled trial outside a cancelled sweep
                    // would never run again, since only resuming a cancelled sweep queues its cancelled trials.
                    t.Status = WorkStatus.Pending;
                    Enqueue(finished.TrialId, first: true);
                    break;
                }
                t.Status = finished.End switch
                {
                    WorkEnd.Completed => WorkStatus.Completed,
                    WorkEnd.Failed => WorkStatus.Failed,
                    _ => WorkStatus.Cancelled,
                };
                break;
            }
        }
    }

    private void Enqueue(string trialId, bool first)
    {
        if (_queued.ContainsKey(trialId)) return;
        _queued[trialId] = first ? _pending.AddFirst(trialId) : _pending.AddLast(trialId);
    }

    private void Dequeue(string trialId)
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
            {
                sweep.Trials.Add(t.Id);
                queue._trials[t.Id] = new Trial(s.Id) { Status = t.Status, Slot = t.Slot, Assignments = t.Assignments };
            }
        }
        foreach (var id in snapshot.Pending) queue.Enqueue(id, first: false);
        return queue;
    }

    private sealed class Sweep(string name)
    {
        public string Name { get; } = name;
        public bool Cancelled { get; set; }
        public List<string> Trials { get; } = [];
    }

    private sealed class Trial(string sweepId)
    {
        public string SweepId { get; } = sweepId;
        public WorkStatus Status { get; set; }
        public string? Slot { get; set; }
        public int Assignments { get; set; }
    }
}
