using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Trials;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Slots;

/// <summary>A slot with nothing to run asks the coordinator for a trial (work pulling).</summary>
public sealed record RequestWork(string Slot);

/// <summary>The coordinator's answer to <see cref="RequestWork"/>: the trial, under the lease that fences its row.</summary>
public sealed record WorkAssigned(TrialLease Lease, TrialSpec Spec);

/// <summary>A slot that already runs a trial refuses another one; the coordinator gives it back.</summary>
public sealed record WorkRejected(TrialLease Lease);

/// <summary>A slot's trial ended (or was lost: <c>End</c> null when the trial actor stopped without a last word).</summary>
public sealed record WorkReturned(string Slot, TrialLease Lease, TrialEnd? End);
