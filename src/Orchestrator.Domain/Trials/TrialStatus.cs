namespace Orchestrator.Domain.Trials;

/// <summary>Where a trial stands in its sweep: the coordinator's queue holds it, the store's trial rows project it.
/// Stored by name (rows, journaled snapshots): a value is never renamed.</summary>
public enum TrialStatus { Pending, Running, Completed, Failed, Cancelled, Diverged, Pruned }

public static class TrialStatuses
{
    /// <summary>Whether the trial has ended: it is neither pending nor running.</summary>
    public static bool HasEnded(this TrialStatus status) => status is TrialStatus.Completed or TrialStatus.Failed or TrialStatus.Cancelled or TrialStatus.Diverged
        or TrialStatus.Pruned;
}
