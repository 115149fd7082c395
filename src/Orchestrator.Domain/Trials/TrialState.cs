using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Trials;

public enum TrialPhase { NotStarted, Training, Stopped, Completed, Failed, Diverged, Pruned }

/// <summary>
/// Everything a trial's events say about it; rebuilt by <see cref="TrialEvolution.Replay"/>.
/// Configuration (Strategy .. Seed) comes from <see cref="TrialStarted"/> (before it, in <see cref="Initial"/>, it means
/// nothing); the rest is progress.
/// <c>BestEpoch</c> 0 means no epoch improved yet (the best weights are the initial ones);
/// <c>LastRestoreEpoch</c> is the epoch whose end last put the best weights back (0 = never). <c>Attempt</c> is the
/// newest attempt started; events of older attempts no longer apply.
/// <c>Schedule</c> is the one <see cref="TrialStarted"/> journaled (null for dynamic and fixed-top-n: see
/// <see cref="Plan"/>); <c>PhaseIndex</c> and <c>PhaseStartEpoch</c> (the epoch whose end entered the phase) follow it.
/// <c>FirstEpochLoss</c>: the larger finite loss of epoch 1, the scale <see cref="Trials.Divergence"/> bounds later
/// epochs by (0 before it). <c>Divergence</c>: the event that ended a diverged trial.
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
    StopReason? StopReason,
    TrialCompleted? Result,
    string? FailureReason,
    int FailedAttempts = 0,
    int Attempt = 0,
    PhaseSchedule? Schedule = null,
    int PhaseIndex = 0,
    int PhaseStartEpoch = 0,
    double FirstEpochLoss = 0,
    TrialDiverged? Divergence = null)
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

    /// <summary>The schedule the trial follows: the journaled one, or that of dynamic or fixed-top-n with this state's
    /// configuration (fixed-top-n never changes its groups, so they are its n).</summary>
    public PhaseSchedule Plan() => Schedule ?? Strategy switch
    {
        Strategy.Dynamic => BuiltInSchedules.Dynamic(Groups, Patience, Step, Decay, StopPolicy),
        Strategy.FixedTopN => BuiltInSchedules.FixedTopN(Groups, UnfrozenGroups, Patience),
        _ => throw new InvalidOperationException($"a {Strategy.ToSpecString()} trial without its schedule"),
    };

    /// <summary>The phase the next epoch trains in. Dynamic and fixed-top-n journals do not count phases: each of
    /// their phases trains its own number of groups.</summary>
    public int CurrentPhase(PhaseSchedule plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (Schedule is not null) return PhaseIndex;
        for (var i = 0; i < plan.Phases.Count; i++)
            if (plan[i].Trains.Count == UnfrozenGroups) return i;
        throw new InvalidOperationException($"no phase of the schedule trains {UnfrozenGroups} groups");
    }

    /// <summary>How the journal says the trial ended (completed, failed, diverged or pruned); null while it has not. The one
    /// place a phase becomes an end, and so a status.</summary>
    public TrialEnd? End => Phase switch
    {
        TrialPhase.Completed => TrialEnd.Completed,
        TrialPhase.Failed => TrialEnd.Failed,
        TrialPhase.Diverged => TrialEnd.Diverged,
        TrialPhase.Pruned => TrialEnd.Pruned,
        _ => null,
    };

    /// <summary>The trial has its final outcome: completed, failed, diverged or pruned.</summary>
    public bool IsTerminal => End is not null;
}

/// <summary>
/// File names of checkpoints inside a trial's directory. A name carries the attempt that wrote it, so that a stale
/// writer (paused or cut off, and woken after its trial moved to a newer attempt) can never write over a newer
/// attempt's file of the same epoch; and a writer deletes only names of its own attempt or older ones. Attempt 0 (no
/// attempt journaled: journals and tests from before attempts were named) keeps the names without an attempt.
/// </summary>
public static class CheckpointNames
{
    public static string Best(int attempt, int epoch) => $"best-{Attempt(attempt)}e{epoch:D4}.pt";
    public static string Latest(int attempt, int epoch) => $"epoch-{Attempt(attempt)}e{epoch:D4}.pt";

    /// <summary>The file of a trial's per-image test outputs (<see cref="Events.TestOutputs"/>), named by its content's
    /// SHA-256: two writers of one attempt can only ever write the same bytes under one name.</summary>
    public static string TestOutputs(int attempt, string sha256) => $"test-outputs-{Attempt(attempt)}{sha256}.json";

    /// <summary>A checkpoint (weights, optimizer state) rather than a test-outputs file or a temp file.</summary>
    public static bool IsCheckpoint(string name) => name.EndsWith(".pt", StringComparison.Ordinal);

    public static bool IsTestOutputs(string name) =>
        name.StartsWith("test-outputs-", StringComparison.Ordinal) && name.EndsWith(".json", StringComparison.Ordinal);

    /// <summary>The attempt a checkpoint name carries; 0 for a name without one.</summary>
    public static int AttemptOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var at = name.IndexOf("-a", StringComparison.Ordinal);
        var end = at < 0 ? -1 : name.IndexOf('-', at + 2);
        return end > at + 2 && int.TryParse(name.AsSpan(at + 2, end - at - 2), System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var attempt) ? attempt : 0;
    }

    private static string Attempt(int attempt) => attempt switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(attempt), attempt, "must not be negative"),
        0 => "",
        _ => $"a{attempt:D3}-",
    };
}
