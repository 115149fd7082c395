using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Trials;

public enum TrialPhase { NotStarted, Training, Stopped, Completed, Failed }

/// <summary>
/// Everything a trial's events say about it; rebuilt by <see cref="TrialEvolution.Replay"/>.
/// Configuration (Strategy .. Seed) comes from <see cref="TrialStarted"/> (before it, in <see cref="Initial"/>, it means
/// nothing); the rest is progress.
/// <c>BestEpoch</c> 0 means no epoch improved yet (the best weights are the initial ones);
/// <c>LastRestoreEpoch</c> is the epoch whose end last put the best weights back (0 = never). <c>Attempt</c> is the
/// newest attempt started; events of older attempts no longer apply.
/// </summary>
public sealed record TrialState(
    TrialPhase Phase,
    Strategy Strategy,
    string Backbone,
    int Groups,
    int Patience,
    int Step,
    double Decay,
    int MaxEpochs,
    StopPolicy StopPolicy,
    double MinDelta,
    int MaxRounds,
    int Seed,
    int EpochsDone,
    int UnfrozenGroups,
    double LearningRate,
    int PatienceCounter,
    int BestEpoch,
    double BestValLoss,
    string? BestCheckpoint,
    string? BestSha256,
    string? LatestCheckpoint,
    string? LatestSha256,
    int LatestCheckpointEpoch,
    int LastRestoreEpoch,
    string? StopReason,
    TrialCompleted? Result,
    string? FailureReason,
    int FailedAttempts = 0,
    int Attempt = 0)
{
    public static TrialState Initial { get; } = new(
        Phase: TrialPhase.NotStarted,
        Strategy: default,
        Backbone: "",
        Groups: 0,
        Patience: 0,
        Step: 0,
        Decay: 0,
        MaxEpochs: 0,
        StopPolicy: default,
        MinDelta: 0,
        MaxRounds: 0,
        Seed: 0,
        EpochsDone: 0,
        UnfrozenGroups: 0,
        LearningRate: 0,
        PatienceCounter: 0,
        BestEpoch: 0,
        BestValLoss: double.PositiveInfinity,
        BestCheckpoint: null,
        BestSha256: null,
        LatestCheckpoint: null,
        LatestSha256: null,
        LatestCheckpointEpoch: 0,
        LastRestoreEpoch: 0,
        StopReason: null,
        Result: null,
        FailureReason: null);

    /// <summary>The trial has its final outcome: completed or failed.</summary>
    public bool IsTerminal => Phase is TrialPhase.Completed or TrialPhase.Failed;
}

/// <summary>File names of checkpoints inside a trial's directory.</summary>
public static class CheckpointNames
{
    public static string Best(int epoch) => $"best-e{epoch:D4}.pt";
    public static string Latest(int epoch) => $"epoch-e{epoch:D4}.pt";
}
