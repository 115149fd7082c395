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

/// <summary>A sweep was launched or extended: <c>TrialIds</c> are the trials it did not have before.</summary>
public sealed record SweepLaunched(SweepId SweepId, string Name, IReadOnlyList<TrialId> TrialIds) : CoordinatorEvent;

public sealed record SweepCancelled(SweepId SweepId) : CoordinatorEvent;

public sealed record SweepResumed(SweepId SweepId) : CoordinatorEvent;

/// <summary>The trial was handed to a slot (an actor path, which names its node); <c>Assignment</c> counts them, from 1.</summary>
public sealed record TrialAssigned(TrialId TrialId, string Slot, int Assignment) : CoordinatorEvent;

/// <summary>The assignment ended without an end of the trial (its slot or node went away, or it was stopped): the trial
/// is queued again, first in line.</summary>
public sealed record TrialReleased(TrialId TrialId, int Assignment, string Reason) : CoordinatorEvent;

public sealed record TrialFinished(TrialId TrialId, int Assignment, TrialEnd End) : CoordinatorEvent;

/// <summary>Every trial of the sweep had ended: it left the coordinator's state (its trials' outcomes are in the store's
/// trial rows), so the state and its snapshots hold live sweeps only, whatever the history.</summary>
public sealed record SweepRetired(SweepId SweepId) : CoordinatorEvent;

/// <summary>A retired sweep came back because it was launched again, cancelled or resumed: its ended trials, with the
/// status their rows hold, so that it answers as if it had never left.</summary>
public sealed record SweepRevived(SweepId SweepId, string Name, bool Cancelled, IReadOnlyList<TrialSnapshot> Trials) : CoordinatorEvent;

/// <summary>The coordinator's whole state at one point of its journal, so recovery does not replay every event.</summary>
public sealed record WorkQueueSnapshot(IReadOnlyList<SweepSnapshot> Sweeps, IReadOnlyList<TrialId> Pending);

public sealed record SweepSnapshot(SweepId Id, string Name, bool Cancelled, IReadOnlyList<TrialSnapshot> Trials);

public sealed record TrialSnapshot(TrialId Id, TrialStatus Status, string? Slot, int Assignments);
