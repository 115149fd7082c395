using System.Text.Json.Serialization;
using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Trials;
using Orchestrator.Runtime.Wire;

namespace Orchestrator.Runtime.Coordination;

// Messages to the sweep coordinator singleton, from the CLI (through ClusterClient or the node's proxy) and from slots.
// Records that cross the network (IWireMessage: WireSerializer, under the names WireMessages gives them); never journaled.

/// <summary>Launch or extend a sweep whose trial rows are registered in the store; answered with <see cref="SweepLaunchAccepted"/>.
/// <c>Plan</c>: the cells, rungs and replicate seeds of a sweep that prunes or replicates.</summary>
public sealed record LaunchSweep(SweepId SweepId, string Name, IReadOnlyList<TrialId> TrialIds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SweepPlan? Plan = null) : IWireMessage;

public sealed record SweepLaunchAccepted(SweepId SweepId, int Trials, int Added, bool Cancelled) : IWireMessage;

/// <summary>Cancel (true) or resume (false) a sweep; answered with <see cref="SweepControlled"/> or <see cref="UnknownSweep"/>.</summary>
public sealed record ControlSweep(SweepId SweepId, bool Cancel) : IWireMessage;

public sealed record SweepControlled(SweepId SweepId, bool Cancelled, IReadOnlyDictionary<string, int> Counts) : IWireMessage;

public sealed record UnknownSweep(SweepId SweepId) : IWireMessage;

/// <summary>Answered at once with <see cref="SweepState"/> (or <see cref="UnknownSweep"/>). Whoever waits for a sweep to
/// end asks again and again: a watch kept in the coordinator's memory would be lost when the singleton moves.</summary>
public sealed record GetSweepState(SweepId SweepId) : IWireMessage;

/// <summary><c>Ended</c>: no trial of the sweep is pending or running. <c>Counts</c>: trials by status.</summary>
public sealed record SweepState(SweepId SweepId, bool Ended, IReadOnlyDictionary<string, int> Counts) : IWireMessage;

/// <summary>Answered with <see cref="QueueStatus"/>.</summary>
public sealed record GetQueueStatus : IWireMessage;

/// <summary>The queue as the coordinator holds it now: pending trials, where each running one runs, and the slots
/// registered per node address.</summary>
public sealed record QueueStatus(string Node, int Pending, IReadOnlyList<RunningAssignment> Running, IReadOnlyList<SlotSummary> Slots) : IWireMessage;

public sealed record RunningAssignment(TrialId TrialId, SweepId SweepId, string Slot, int Assignment);

public sealed record SlotSummary(string Slot, string Node, bool Busy, bool Draining);

/// <summary>Answered with <see cref="RowsFlushed"/> once every change so far is written to the trial rows.</summary>
public sealed record FlushRows : IWireMessage;

public sealed record RowsFlushed : IWireMessage;

// ---- slots ----

/// <summary>A trial and the assignment under which a slot runs (or last received) it.</summary>
public sealed record AssignmentRef(TrialId TrialId, int Assignment);

/// <summary>A slot says where it stands, at start and every few seconds (so a coordinator that has just taken over
/// learns its slots, and one whose reply was lost finds out): what it runs, the next trial it holds, the last
/// assignment it received, whether it wants work (idle and not draining), for a one-sweep run which sweep it takes
/// trials of, and the last results it reported (<c>Returned</c>: sent again, since a report may still be on its way or
/// have gone to a coordinator that died; the coordinator applies whichever comes first, the other is a no-op).</summary>
public sealed record RegisterSlot(string Slot, AssignmentRef? Running, AssignmentRef? LastReceived, bool WantsWork, bool Draining, SweepId? OnlySweep,
    AssignmentRef? Next = null, IReadOnlyList<WorkReturned>? Returned = null) : IWireMessage;

/// <summary>A slot with nothing to run, or whose trial has begun its last step, asks for a trial (work pulling; the
/// coordinator gives a slot at most one trial beyond the one it runs).</summary>
public sealed record RequestWork(string Slot, SweepId? OnlySweep) : IWireMessage;

/// <summary>A draining slot takes back its request for work.</summary>
public sealed record WithdrawRequest(string Slot) : IWireMessage;

/// <summary>The coordinator's answer to a request: run this trial under this assignment. Sent again after a takeover
/// when the slot has not seen it; a slot ignores one it already has. <c>Rung</c>: for a trial on its cell's ladder, how
/// far it may train, or that it was pruned.</summary>
public sealed record WorkAssigned(TrialId TrialId, SweepId SweepId, int Assignment,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RungOrder? Rung = null) : IWireMessage;

/// <summary>A slot that already runs another trial refuses one; the coordinator queues it again.</summary>
public sealed record WorkRejected(TrialId TrialId, int Assignment) : IWireMessage;

/// <summary>A slot's trial left it (<c>Exit</c> null: it stopped without a last word, e.g. a journal write refused).</summary>
public sealed record WorkReturned(string Slot, TrialId TrialId, int Assignment, TrialExit? Exit, bool WantsWork) : IWireMessage;
