using Orchestrator.Domain.Events;

namespace Orchestrator.Domain.Trials;

/// <summary>Folds a trial's events into its state. Pure: recorded events are facts and are applied as they are.</summary>
public static class TrialEvolution
{
    public static TrialState Evolve(TrialState s, TrialEvent e)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(e);
        return e switch
        {
            // A TrialStarted begins the trial from scratch, whatever came before it.
            TrialStarted x => TrialState.Initial with
            {
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
            },
            EpochCompleted x => s with { EpochsDone = x.Epoch, PatienceCounter = x.PatienceCounter },
            BestImproved x => s with
            {
                BestEpoch = x.Epoch,
                BestValLoss = x.ValLoss,
                BestCheckpoint = x.Checkpoint,
                BestSha256 = x.Sha256,
                PatienceCounter = 0,
            },
            GroupsUnfrozen x => s with { UnfrozenGroups = x.To, LearningRate = x.LearningRate, PatienceCounter = 0 },
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
            AttemptFailed x => s with { FailedAttempts = s.FailedAttempts + 1, FailureReason = x.Reason },
            _ => throw new ArgumentException($"unknown event type {e.GetType().Name}", nameof(e)),
        };
    }

    public static TrialState Replay(IEnumerable<TrialEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = TrialState.Initial;
        foreach (var e in events) state = Evolve(state, e);
        return state;
    }
}
