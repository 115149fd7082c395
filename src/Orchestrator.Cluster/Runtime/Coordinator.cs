using Orchestrator.Cluster.Actors;
using Orchestrator.Cluster.Trials;
using Orchestrator.Domain.Specs;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Runtime;

public abstract record CoordinatorMessage;
public sealed record SlotIdle(WorkerSlot Slot) : CoordinatorMessage;
public sealed record TrialFinished(WorkerSlot Slot, string TrialId, TrialRunOutcome Outcome) : CoordinatorMessage;
public sealed record PollStore : CoordinatorMessage;

/// <summary>
/// Hands the trials of one sweep to idle worker slots. Every hand-out is a lease claimed in the store, so
/// other processes sharing the store can work on the same sweep; the run is over when every trial of the
/// sweep has ended, whoever ran it. Leases of killed local processes are expired at once rather than
/// waited out.
/// </summary>
public sealed class Coordinator(
    string sweepId,
    IOrchestratorStore store,
    NodeIdentity node,
    TimeProvider clock,
    TimeSpan leaseDuration,
    TimeSpan pollInterval,
    IRunObserver observer) : Actor<CoordinatorMessage>("coordinator")
{
    private readonly HashSet<WorkerSlot> _idle = [];
    private readonly TaskCompletionSource<IReadOnlyList<TrialRecord>> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _slots;
    private bool _waitingNoted;

    /// <summary>Completes with the final trial rows when every trial of the sweep has ended.</summary>
    public Task<IReadOnlyList<TrialRecord>> SweepEnded => _done.Task;

    public void AddSlot(WorkerSlot slot)
    {
        _slots++;
        Tell(new SlotIdle(slot));
    }

    protected override async Task HandleAsync(CoordinatorMessage message, CancellationToken ct)
    {
        switch (message)
        {
            case SlotIdle idle:
                _idle.Add(idle.Slot);
                break;
            case TrialFinished finished:
                _idle.Add(finished.Slot);
                break;
        }
        await DispatchAsync(ct);
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        if (_done.Task.IsCompleted) return;
        if (_idle.Count > 0) await ExpireDeadLocalLeasesAsync(ct);
        while (_idle.Count > 0)
        {
            var slot = _idle.First();
            var lease = await store.TryClaimTrialAsync(sweepId, node.SlotOwner(slot.Name), clock.GetUtcNow(), leaseDuration, ct);
            if (lease is null) break;
            var trial = await store.GetTrialAsync(lease.TrialId, ct)
                ?? throw new InvalidOperationException($"claimed trial {lease.TrialId} has no row");
            _idle.Remove(slot);
            _waitingNoted = false;
            slot.Tell(new RunTrial(lease, TrialSpecJson.Deserialize(trial.SpecJson)));
        }
        if (_idle.Count < _slots) return;

        var trials = await store.ListTrialsAsync(sweepId, ct);
        if (trials.All(t => t.Status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled))
        {
            _done.TrySetResult(trials);
            return;
        }
        if (!_waitingNoted)
        {
            var held = trials.Count(t => t.Status == TrialStatus.Running);
            observer.Note($"waiting: {held} trial(s) leased by other processes; they are taken over if their leases expire");
            _waitingNoted = true;
        }
        _ = Task.Delay(pollInterval, clock, ct).ContinueWith(_ => Tell(new PollStore()), TaskScheduler.Default);
    }

    private async Task ExpireDeadLocalLeasesAsync(CancellationToken ct)
    {
        foreach (var trial in await store.ListTrialsAsync(sweepId, ct))
        {
            if (trial.Status != TrialStatus.Running || !node.IsDeadLocalOwner(trial.LeaseOwner)) continue;
            if (await store.ExpireLeaseAsync(trial.Id, trial.LeaseOwner!, clock.GetUtcNow(), ct))
                observer.Note($"{trial.Id}: its previous process ({trial.LeaseOwner}) is gone; resuming it from the journal");
        }
    }
}
