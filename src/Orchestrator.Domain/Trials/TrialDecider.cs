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
/// The fine-tuning decisions: pure functions from (state, what the engine reported) to an <see cref="EpochDecision"/>.
/// The runtime performs its effects, then journals the events <see cref="EpochEvents.Record"/> makes of it.
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
            Strategy.Dynamic => 0,
            Strategy.FixedTopN => Math.Clamp(spec.FixedTopN, 0, groups),
        };
        return new TrialStarted(spec.Strategy, spec.Backbone, groups, spec.LearningRate, spec.Patience, spec.Step,
            spec.Decay, spec.MaxEpochs, initial, spec.StopPolicy, spec.MinDelta, spec.Seed, spec.MaxRounds);
    }

    /// <summary>
    /// Decides the end of epoch <c>state.EpochsDone + 1</c>: the val loss improves on the best when it beats it by
    /// more than MinDelta (an equal loss does not, NaN never does); for dynamic, a plateau with groups left unfreezes
    /// and restores the best weights; the strategy's stop rule may end training.
    /// </summary>
    /// <exception cref="InvalidOperationException">The trial is not training, or its configuration is invalid.</exception>
    public static EpochDecision Decide(TrialState state, EpochOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(outcome);
        if (state.Phase != TrialPhase.Training)
            throw new InvalidOperationException($"cannot decide an epoch of a trial that is {state.Phase}");
        if (state.Groups < 1 || state.Patience < 1 || state.MaxEpochs < 1 || state.MaxRounds < 1
            || (state.Strategy == Strategy.Dynamic && state.Step < 1))
            throw new InvalidOperationException(
                $"trial configuration is invalid (groups {state.Groups}, patience {state.Patience}, " +
                $"maxEpochs {state.MaxEpochs}, maxRounds {state.MaxRounds}, step {state.Step})");

        var epoch = state.EpochsDone + 1;
        // Strict: an equal loss is no improvement, so the earliest of equal bests is kept. NaN never improves.
        var improved = outcome.ValLoss < state.BestValLoss - state.MinDelta;
        var patience = improved ? 0 : state.PatienceCounter + 1;
        var completed = new EpochCompleted(epoch, outcome.TrainLoss, outcome.ValLoss, outcome.ValAccuracy, outcome.ValMacroF1,
            state.LearningRate, state.UnfrozenGroups, patience, outcome.Seconds, outcome.FeatureCache.Hits, outcome.FeatureCache.Misses);

        var (unfreeze, stop) = state.Strategy switch
        {
            Strategy.Dynamic => DecideDynamic(state, epoch, patience),
            Strategy.FixedTopN => (null, DecideFixed(state, epoch, patience)),
        };
        return new EpochDecision(completed, improved, unfreeze, stop);
    }

    private static (GroupUnfreeze? Unfreeze, string? Stop) DecideDynamic(TrialState s, int epoch, int patience)
    {
        var m = s.UnfrozenGroups;
        var plateau = patience >= s.Patience;
        GroupUnfreeze? unfreeze = null;
        if (plateau && m < s.Groups)
        {
            // A plateau means this epoch did not improve, so the best is still the state's.
            unfreeze = new GroupUnfreeze(m, Math.Min(m + s.Step, s.Groups), s.LearningRate * (1 - s.Decay), s.BestEpoch);
            m = unfreeze.To;
        }
        return (unfreeze, DynamicStop(s, epoch, plateau, m));
    }

    /// <returns>The stop reason, or null to go on.</returns>
    private static string? DynamicStop(TrialState s, int epoch, bool plateau, int m) => s.StopPolicy switch
    {
        // s.UnfrozenGroups, not m: the plateau that triggered this epoch's unfreeze does not also stop.
        StopPolicy.PlateauAfterFullUnfreeze when plateau && s.UnfrozenGroups == s.Groups => StopReasons.PlateauAfterFullUnfreeze,
        StopPolicy.PlateauAfterFullUnfreeze => epoch >= s.MaxEpochs ? StopReasons.EpochBudget : null,
        // DO { FOR t = 1..n ... } WHILE m < L: the condition is only looked at when a round of n epochs ends.
        StopPolicy.Algorithm1 when epoch % s.MaxEpochs != 0 => null,
        StopPolicy.Algorithm1 when m == s.Groups => StopReasons.Algorithm1Complete,
        StopPolicy.Algorithm1 => epoch / s.MaxEpochs >= s.MaxRounds ? StopReasons.RoundLimit : null,
    };

    private static string? DecideFixed(TrialState s, int epoch, int patience) =>
        patience >= s.Patience ? StopReasons.EarlyStopping
        : epoch >= s.MaxEpochs ? StopReasons.EpochBudget
        : null;
}
