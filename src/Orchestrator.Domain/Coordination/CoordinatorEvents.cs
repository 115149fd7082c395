using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Coordination;

/// <summary>What the sweep coordinator journals: launches, cancellations, and every assignment of a trial to a slot
/// and its end. Stored under versioned names (<see cref="CoordinatorEventCatalog"/>).</summary>
public abstract record CoordinatorEvent
{
    // Closed: the events of this file are the vocabulary; no other assembly adds to it.
    private protected CoordinatorEvent() { }
}

/// <summary>A sweep was launched or extended: <c>TrialIds</c> are the trials it did not have before. <c>Plan</c>: its cells,
/// rungs and replicate seeds, for a sweep that prunes or replicates (absent otherwise, and in older journals).</summary>
public sealed record SweepLaunched(SweepId SweepId, string Name, IReadOnlyList<TrialId> TrialIds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SweepPlan? Plan = null) : CoordinatorEvent;

public sealed record SweepCancelled(SweepId SweepId) : CoordinatorEvent;

public sealed record SweepResumed(SweepId SweepId) : CoordinatorEvent;

/// <summary>The trial was handed to a slot (an actor path, which names its node); <c>Assignment</c> counts them, from 1.</summary>
public sealed record TrialAssigned(TrialId TrialId, string Slot, int Assignment) : CoordinatorEvent;

/// <summary>The assignment ended without an end of the trial (its slot or node went away, or it was stopped): the trial
/// is queued again, first in line.</summary>
public sealed record TrialReleased(TrialId TrialId, int Assignment, string Reason) : CoordinatorEvent;

/// <summary>The trial ended. <c>BestValLoss</c>: its lowest validation loss, for a trial of a pruning or replicating
/// sweep's search (its result on its cell's ladder; absent otherwise).</summary>
public sealed record TrialFinished(TrialId TrialId, int Assignment, TrialEnd End,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? BestValLoss = null) : CoordinatorEvent;

/// <summary>The trial trained to its rung's epochs (<c>Epoch</c>) and left its slot with <c>ValLoss</c>, its lowest
/// validation loss so far: it waits, off the queue, for its cell's successive halving to promote or prune it.</summary>
public sealed record TrialReachedRung(TrialId TrialId, int Assignment, int Rung, int Epoch, double ValLoss) : CoordinatorEvent;

/// <summary>Successive halving let the trial go on to rung <c>Rung</c> (the number of the cell's rungs: to its own end).</summary>
public sealed record TrialPromoted(TrialId TrialId, int Rung) : CoordinatorEvent;

/// <summary>Successive halving stopped the trial at rung <c>Rung</c>: <c>Better</c> results of its cell there beat its
/// <c>ValLoss</c>, as many as go on. A trial that has not ended is queued once more, to journal its own end.</summary>
public sealed record TrialPruned(TrialId TrialId, int Rung, double ValLoss, int Better) : CoordinatorEvent;

/// <summary>Cell <c>Cell</c> of the sweep's plan ended its search: <c>Chosen</c>, its best configuration on validation
/// (null when none completed), runs again as <c>TrialIds</c>, one per replicate seed.</summary>
public sealed record ReplicatesLaunched(SweepId SweepId, int Cell, TrialId? Chosen, IReadOnlyList<TrialId> TrialIds) : CoordinatorEvent;

/// <summary>Every trial of the sweep had ended: it left the coordinator's state (its trials' outcomes are in the store's
/// trial rows), so the state and its snapshots hold live sweeps only, whatever the history.</summary>
public sealed record SweepRetired(SweepId SweepId) : CoordinatorEvent;

/// <summary>A retired sweep came back because it was launched again, cancelled or resumed: its ended trials, with the
/// status their rows hold, so that it answers as if it had never left.</summary>
public sealed record SweepRevived(SweepId SweepId, string Name, bool Cancelled, IReadOnlyList<TrialSnapshot> Trials) : CoordinatorEvent;

/// <summary>The coordinator's whole state at one point of its journal, so recovery does not replay every event.</summary>
public sealed record WorkQueueSnapshot(IReadOnlyList<SweepSnapshot> Sweeps, IReadOnlyList<TrialId> Pending);

/// <summary><c>Plan</c> and <c>Replicated</c> (the cells whose replicates were launched): a pruning or replicating
/// sweep's (absent otherwise).</summary>
public sealed record SweepSnapshot(SweepId Id, string Name, bool Cancelled, IReadOnlyList<TrialSnapshot> Trials,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SweepPlan? Plan = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Replicated = null);

/// <summary><c>Ladder</c>: where a trial of a planned sweep's cell stands (absent otherwise).</summary>
public sealed record TrialSnapshot(TrialId Id, TrialStatus Status, string? Slot, int Assignments,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] LadderPlace? Ladder = null);

/// <summary>A trial's place on its cell's ladder: <c>Cell</c> (an index of the plan's cells), the rung it is cleared to
/// run to (<c>Cleared</c>), its loss at each rung it reached (<c>Results</c>), whether it was pruned, and its final
/// lowest validation loss once it ended by itself (infinity when it failed or diverged); <c>Better</c>: for a pruned one,
/// how many results of its rung beat it.</summary>
public sealed record LadderPlace(int Cell, int Cleared, IReadOnlyList<double> Results, bool Pruned, double? Final, int Better = 0);

/// <summary>What a laddered trial's assignment asks: train to <c>EpochLimit</c> epochs, rung <c>Rung</c>'s (0: on to its
/// own end); or, <c>Pruned</c>, train nothing and journal that <c>Better</c> results of rung <c>Rung</c> beat it.</summary>
public sealed record RungOrder(int Rung, int EpochLimit, bool Pruned, int Better);
