using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Trials;

/// <summary>Stop reasons carried by <see cref="TrainingStopped"/>.</summary>
public static class StopReasons
{
    public const string PlateauAfterFullUnfreeze = "plateau-after-full-unfreeze";
    public const string EpochBudget = "epoch-budget";
    public const string Algorithm1Complete = "algorithm-1-complete";
    public const string RoundLimit = "round-limit";
    public const string EarlyStopping = "early-stopping";
}

/// <summary>
/// The fine-tuning decisions: pure functions from (state, what the engine reported) to events.
/// The runner appends the events, then performs what they call for.
/// </summary>
public static class TrialDecider
{
    /// <summary>The first event of a trial whose backbone has <paramref name="groups"/> layer groups (L).</summary>
    public static TrialStarted Start(TrialSpec spec, int groups)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var initial = spec.Strategy switch
        {
            Strategies.Dynamic => 0,
            Strategies.FixedTopN => Math.Clamp(spec.FixedTopN, 0, groups),
            _ => throw new ArgumentException($"unknown strategy '{spec.Strategy}'", nameof(spec)),
        };
        return new TrialStarted(spec.Strategy, spec.Backbone, groups, spec.LearningRate, spec.Patience, spec.Step,
            spec.Decay, spec.MaxEpochs, initial, spec.StopPolicy, spec.MinDelta, spec.Seed, spec.MaxRounds);
    }

    /// <summary>
    /// Decides the end of epoch <c>state.EpochsDone + 1</c>. Events, in order: <see cref="EpochCompleted"/>;
    /// <see cref="BestImproved"/> if the val loss beat the best by more than MinDelta (its Sha256 is empty: the
    /// runner fills it in after saving); for dynamic, on a plateau with groups left, <see cref="GroupsUnfrozen"/>
    /// then <see cref="BestWeightsRestored"/>; <see cref="TrainingStopped"/> if training ends here.
    /// </summary>
    /// <exception cref="InvalidOperationException">The trial is not training.</exception>
    public static IReadOnlyList<TrialEvent> DecideEpoch(TrialState state, EpochOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(outcome);
        if (state.Phase != TrialPhase.Training)
            throw new InvalidOperationException($"cannot decide an epoch of a trial that is {state.Phase}");
        if (state.Groups < 1 || state.Patience < 1 || state.MaxEpochs < 1 || state.MaxRounds < 1)
            throw new InvalidOperationException(
                $"trial configuration is invalid (groups {state.Groups}, patience {state.Patience}, " +
                $"maxEpochs {state.MaxEpochs}, maxRounds {state.MaxRounds})");

        var epoch = state.EpochsDone + 1;
        // Strict: an equal loss is no improvement, so the earliest of equal bests is kept. NaN never improves.
        var improved = outcome.ValLoss < state.BestValLoss - state.MinDelta;
        var patience = improved ? 0 : state.PatienceCounter + 1;
        var bestEpoch = improved ? epoch : state.BestEpoch;

        var events = new List<TrialEvent>(5)
        {
            new EpochCompleted(epoch, outcome.TrainLoss, outcome.ValLoss, outcome.ValAccuracy, outcome.ValMacroF1,
                state.LearningRate, state.UnfrozenGroups, patience, outcome.Seconds),
        };
        if (improved)
            events.Add(new BestImproved(epoch, outcome.ValLoss, CheckpointNames.Best(epoch), ""));

        var stop = state.Strategy switch
        {
            Strategies.Dynamic => DecideDynamic(state, epoch, patience, bestEpoch, events),
            Strategies.FixedTopN => DecideFixed(state, epoch, patience),
            _ => throw new InvalidOperationException($"unknown strategy '{state.Strategy}'"),
        };
        if (stop is not null)
            events.Add(new TrainingStopped(epoch, stop));
        return events;
    }

    /// <returns>The stop reason, or null to go on.</returns>
    private static string? DecideDynamic(TrialState s, int epoch, int patience, int bestEpoch, List<TrialEvent> events)
    {
        var m = s.UnfrozenGroups;
        var plateau = patience >= s.Patience;
        if (plateau && m < s.Groups)
        {
            var to = Math.Min(m + s.Step, s.Groups);
            events.Add(new GroupsUnfrozen(epoch, m, to, s.LearningRate * (1 - s.Decay)));
            events.Add(new BestWeightsRestored(epoch, bestEpoch));
            m = to;
        }

        switch (s.StopPolicy)
        {
            case StopPolicies.PlateauAfterFullUnfreeze:
                // s.UnfrozenGroups, not m: the plateau that triggered this epoch's unfreeze does not also stop.
                if (plateau && s.UnfrozenGroups == s.Groups) return StopReasons.PlateauAfterFullUnfreeze;
                return epoch >= s.MaxEpochs ? StopReasons.EpochBudget : null;
            case StopPolicies.Algorithm1:
                // DO { FOR t = 1..n ... } WHILE m < L: the condition is only looked at when a round of n epochs ends.
                if (epoch % s.MaxEpochs != 0) return null;
                if (m == s.Groups) return StopReasons.Algorithm1Complete;
                return epoch / s.MaxEpochs >= s.MaxRounds ? StopReasons.RoundLimit : null;
            default:
                throw new InvalidOperationException($"unknown stop policy '{s.StopPolicy}'");
        }
    }

    private static string? DecideFixed(TrialState s, int epoch, int patience) =>
        patience >= s.Patience ? StopReasons.EarlyStopping
        : epoch >= s.MaxEpochs ? StopReasons.EpochBudget
        : null;
}
