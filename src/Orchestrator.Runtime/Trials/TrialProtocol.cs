using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Runtime.Trials;

/// <summary>A trial handed to a slot: what to run, and the slot's name for progress lines.</summary>
public sealed record TrialAssignment(string TrialId, string SweepId, TrialSpec Spec, string Slot);

public enum StopCause { SweepCancelled, AssignmentLost, Shutdown }

/// <summary>Stop at the epoch boundary, keeping what is journaled and its checkpoints: a cancelled sweep's trial
/// finishes the epoch under way first; on a shutdown or a lost assignment that epoch is dropped.</summary>
public sealed record StopTrial(StopCause Cause);

public enum TrialEnd { Completed, Failed, Cancelled, Interrupted }

/// <summary>The trial actor's last word to its slot before it stops.</summary>
public sealed record TrialEnded(string TrialId, TrialEnd End, TrialState State);

/// <summary>Asks a running trial where it stands; answered with <see cref="TrialStatusReport"/> even mid-epoch.</summary>
public sealed record GetTrialStatus;

/// <summary><c>Journaled</c> is the state its journal holds; <c>Planned</c> includes the epoch being committed;
/// <c>TrainingEpoch</c> is the epoch the engine works on now (0: none).</summary>
public sealed record TrialStatusReport(string TrialId, int Attempt, TrialState Journaled, TrialState Planned, int TrainingEpoch);

/// <summary>An attempt broke; the supervisor restarts the trial with backoff, which then resumes from its journal.</summary>
public sealed class TrialAttemptException(string message, Exception inner) : Exception(message, inner);
