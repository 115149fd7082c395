namespace Orchestrator.Domain.Trials;

/// <summary>How a trial's run ended. Journaled by name (<c>TrialFinished</c>): a value is never renamed.</summary>
public enum TrialEnd { Completed, Failed, Cancelled, Diverged, Pruned }

public static class TrialEnds
{
    /// <summary>The status the end leads to.</summary>
    public static TrialStatus Status(this TrialEnd end) => end switch
    {
        TrialEnd.Completed => TrialStatus.Completed,
        TrialEnd.Failed => TrialStatus.Failed,
        TrialEnd.Cancelled => TrialStatus.Cancelled,
        TrialEnd.Diverged => TrialStatus.Diverged,
        TrialEnd.Pruned => TrialStatus.Pruned,
        _ => throw new ArgumentOutOfRangeException(nameof(end), end, "not a trial end"),
    };

    /// <summary>Whether the end is what the trial's training came to (completed or diverged) rather than a failure
    /// or a cancel: its files are kept as a result's (<see cref="ArtifactRetention.KeptAfterCompletion"/>).</summary>
    public static bool IsResult(this TrialEnd end) => end is TrialEnd.Completed or TrialEnd.Diverged;
}
