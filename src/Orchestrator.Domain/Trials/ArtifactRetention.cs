namespace Orchestrator.Domain.Trials;

/// <summary>
/// Which of a trial's stored files (checkpoints, test outputs) a writer of attempt <c>attempt</c> deletes, after its
/// append. Fenced like every write: never a name of a newer attempt (<see cref="CheckpointNames.AttemptOf"/>), so a
/// writer woken late cannot delete what the attempt that superseded it wrote. Temp files are the file system's
/// business (<c>TrialArtifacts</c>).
/// </summary>
public static class ArtifactRetention
{
    /// <summary>After an epoch's append: the checkpoints the journal no longer points at. Test-outputs files are left
    /// alone here: the attempt may have just written its own, which its <c>TrialCompleted</c> has not named yet.</summary>
    public static bool SupersededAfterEpoch(string name, IReadOnlySet<string> keep, int attempt)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return CheckpointNames.IsCheckpoint(name) && !keep.Contains(name) && CheckpointNames.AttemptOf(name) <= attempt;
    }

    /// <summary>After <c>TrialCompleted</c> is journaled: everything but <see cref="KeptAfterCompletion"/>: the resumable
    /// checkpoints, older best weights, and test outputs of attempts that never journaled theirs.</summary>
    public static bool SupersededAfterCompletion(string name, IReadOnlySet<string> keep, int attempt)
    {
        ArgumentNullException.ThrowIfNull(keep);
        return (CheckpointNames.IsCheckpoint(name) || CheckpointNames.IsTestOutputs(name))
               && !keep.Contains(name) && CheckpointNames.AttemptOf(name) <= attempt;
    }

    /// <summary>What a completed trial keeps: its best weights (`model export`, the model size and load time the
    /// report quotes) and its test outputs (the report's per-image statistics). A diverged trial, which has no test
    /// outputs, keeps its best weights, those of the epochs before it blew up.</summary>
    public static IReadOnlySet<string> KeptAfterCompletion(TrialState completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        return new[] { completed.BestCheckpoint, completed.Result?.TestOutputs?.File }.OfType<string>().ToHashSet(StringComparer.Ordinal);
    }
}
