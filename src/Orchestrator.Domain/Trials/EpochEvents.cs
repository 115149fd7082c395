using Orchestrator.Domain.Events;

namespace Orchestrator.Domain.Trials;

/// <summary>A file an effect wrote: its name inside the trial's directory and its SHA-256.</summary>
public sealed record SavedFile(string Name, string Sha256)
{
    public string Name { get; } = NotBlank(Name, nameof(Name));
    public string Sha256 { get; } = NotBlank(Sha256, nameof(Sha256));

    private static string NotBlank(string value, string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value, name);
        return value;
    }
}

/// <summary>What an epoch's effects wrote: the best weights (when the best improved) and the resumable checkpoint
/// (unless training stopped).</summary>
public sealed record EffectResults(SavedFile? Best, SavedFile? Checkpoint);

/// <summary>Turns an epoch's decision, once its effects are performed, into the events that journal it.</summary>
public static class EpochEvents
{
    /// <summary>
    /// The epoch's events, in order: <see cref="EpochCompleted"/>; <see cref="BestImproved"/> if improved;
    /// <see cref="GroupsUnfrozen"/> on a new phase, then <see cref="BestWeightsRestored"/> if it restores; <see cref="TrainingStopped"/>
    /// if training stops, otherwise <see cref="CheckpointSaved"/> last; an epoch that diverged is its
    /// <see cref="EpochCompleted"/> and the <see cref="TrialDiverged"/> that ends the trial.
    /// </summary>
    /// <exception cref="ArgumentException">A file the decision called for is missing from <paramref name="results"/>,
    /// or has another name than the decision gave it, or a file it did not call for is there.</exception>
    public static IReadOnlyList<TrialEvent> Record(EpochDecision decision, EffectResults results)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(results);
        var best = Expected(decision.Epoch, "best weights", decision.BestCheckpointName, results.Best);
        var checkpoint = Expected(decision.Epoch, "resumable checkpoint", decision.CheckpointName, results.Checkpoint);

        var epoch = decision.Epoch;
        var events = new List<TrialEvent>(5) { decision.Completed };
        if (best is not null)
            events.Add(new BestImproved(epoch, decision.Completed.ValLoss, best.Name, best.Sha256));
        if (decision.Unfreeze is { } u)
        {
            events.Add(new GroupsUnfrozen(epoch, u.From, u.To, u.LearningRate, u.Trainable));
            if (u.RestoresBest) events.Add(new BestWeightsRestored(epoch, u.RestoreBestEpoch));
        }
        if (decision.StopReason is { } reason) events.Add(new TrainingStopped(epoch, reason));
        if (decision.Divergence is { } why) events.Add(new TrialDiverged(epoch, why));
        if (checkpoint is not null) events.Add(new CheckpointSaved(epoch, checkpoint.Name, checkpoint.Sha256));
        return events;
    }

    private static SavedFile? Expected(int epoch, string what, string? name, SavedFile? saved)
    {
        if (name is null)
            return saved is null ? null
                : throw new ArgumentException($"epoch {epoch}: no {what} was due, yet {saved.Name} was reported", "results");
        if (saved is null)
            throw new ArgumentException($"epoch {epoch}: the {what} ({name}) was due, its name and SHA-256 are missing", "results");
        if (saved.Name != name)
            throw new ArgumentException($"epoch {epoch}: the {what} was due as {name}, not {saved.Name}", "results");
        return saved;
    }
}
