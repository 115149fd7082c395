using Orchestrator.Domain.Events;

namespace Orchestrator.Domain.Trials;

/// <summary>Folds a trial's events into its state. Pure: recorded events are facts and are applied as they are,
/// except those of a superseded attempt (written by an older attempt after a newer one started), which are fenced off.</summary>
public static class TrialEvolution
{
    /// <summary>Whether <paramref name="e"/>, coming after the events folded into <paramref name="s"/>, belongs to an
    /// attempt older than the newest one started and therefore does not count.</summary>
    public static bool IsSuperseded(TrialState s, TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(e);
        return e is AttemptStarted ? e.Attempt <= s.Attempt : e.Attempt < s.Attempt;
    }

    public static TrialState Evolve(TrialState s, TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(e);
        if (IsSuperseded(s, e)) return s;
        return e switch
        {
            AttemptStarted x => s with { Attempt = x.Attempt },
            // A TrialStarted begins the trial from scratch, whatever came before it.
            TrialStarted x => TrialState.Initial with
            {
                Attempt = s.Attempt,
                FailedAttempts = s.FailedAttempts,
                Phase = TrialPhase.Training,
                Strategy = x.Strategy,
                Backbone = x.Backbone,
                Groups = x.Groups,
                Patience = x.Patience,
                Step = x.Step,
                Decay = x.Decay,
                MaxEpochs = x.MaxEpochs,
                StopPolicy = x.StopPolicy,
                MinDelta = x.MinDelta,
                MaxRounds = x.MaxRounds,
                Seed = x.Seed,
                UnfrozenGroups = x.InitialUnfrozenGroups,
                LearningRate = x.LearningRate,
                Schedule = x.Schedule,
            },
            EpochCompleted x => s with
            {
                EpochsDone = x.Epoch,
                PatienceCounter = x.PatienceCounter,
                FirstEpochLoss = x.Epoch == 1 ? Divergence.FirstEpochLoss(x.TrainLoss, x.ValLoss) : s.FirstEpochLoss,
            },
            BestImproved x => s with
            {
                BestEpoch = x.Epoch,
                BestValLoss = x.ValLoss,
                BestCheckpoint = x.Checkpoint,
                BestSha256 = x.Sha256,
                PatienceCounter = 0,
            },
            // Phases are counted only where the schedule is journaled, so older trials' states stay as they were.
            GroupsUnfrozen x => s with
            {
                UnfrozenGroups = x.To,
                LearningRate = x.LearningRate,
                PatienceCounter = 0,
                PhaseIndex = s.Schedule is null ? 0 : s.PhaseIndex + 1,
                PhaseStartEpoch = s.Schedule is null ? 0 : x.Epoch,
            },
            BestWeightsRestored x => s with { LastRestoreEpoch = x.Epoch },
            CheckpointSaved x => s with
            {
                LatestCheckpoint = x.Checkpoint,
                LatestSha256 = x.Sha256,
                LatestCheckpointEpoch = x.Epoch,
            },
            TrainingStopped x => s with { Phase = TrialPhase.Stopped, StopReason = x.Reason },
            TrialCompleted x => s with { Phase = TrialPhase.Completed, Result = x },
            TrialFailed x => s with { Phase = TrialPhase.Failed, FailureReason = x.Reason },
            TrialDiverged x => s with { Phase = TrialPhase.Diverged, Divergence = x },
            TrialPruned => s with { Phase = TrialPhase.Pruned },
            AttemptFailed x => s with { FailedAttempts = s.FailedAttempts + 1, FailureReason = x.Reason },
            _ => throw new ArgumentException($"unknown event type {e.GetType().Name}", nameof(e)),
        };
    }

    /// <summary>The events that count, in order: superseded attempts' late events left out.</summary>
    public static IReadOnlyList<TrialEvent> Effective(IEnumerable<TrialEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = TrialState.Initial;
        var kept = new List<TrialEvent>();
        foreach (var e in events)
        {
            if (!IsSuperseded(state, e)) kept.Add(e);
            state = Evolve(state, e);
        }
        return kept;
    }

    public static TrialState Replay(IEnumerable<TrialEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = TrialState.Initial;
        foreach (var e in events) state = Evolve(state, e);
        return state;
    }
}
