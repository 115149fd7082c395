namespace Orchestrator.Domain.Trials;

/// <summary>How a trial's run ended. Journaled by name (<c>TrialFinished</c>): a value is never renamed.</summary>
public enum TrialEnd { Completed, Failed, Cancelled }

public static class TrialEnds
{
    /// <summary>The status the end leads to.</summary>
    public static TrialStatus Status(this TrialEnd end) => end switch
    {
        TrialEnd.Completed => TrialStatus.Completed,
        TrialEnd.Failed => TrialStatus.Failed,
        TrialEnd.Cancelled => TrialStatus.Cancelled,
        _ => throw new ArgumentOutOfRangeException(nameof(end), end, "not a trial end"),
    };
}
