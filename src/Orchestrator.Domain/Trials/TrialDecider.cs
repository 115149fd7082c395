using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Trials;

/// <summary>
/// The fine-tuning decisions: pure functions from (state, what the engine reported) to an <see cref="EpochDecision"/>,
/// interpreting the trial's <see cref="PhaseSchedule"/>. The runtime performs its effects, then journals the events
/// <see cref="EpochEvents.Record"/> makes of it.
/// </summary>
public static class TrialDecider
{
    /// <summary>The first event of a trial whose backbone has <paramref name="groups"/> layer groups (L).</summary>
    /// <exception cref="ArgumentException">The strategy's schedule cannot run on <paramref name="groups"/> groups.</exception>
    public static TrialStarted Start(TrialSpec spec, int groups)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        return Start(spec, groups, BuiltInSchedules.For(spec, groups));
    }

    /// <summary>The first event of a trial that follows <paramref name="schedule"/>, journaled unless the spec's
    /// strategy is dynamic or fixed-top-n (<see cref="JournalsGroupSets"/>).</summary>
    /// <exception cref="ArgumentException">The schedule cannot run on <paramref name="groups"/> groups.</exception>
    public static TrialStarted Start(TrialSpec spec, int groups, PhaseSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        if (schedule.Problems(groups) is [var problem, ..]) throw new ArgumentException($"{spec.Strategy.ToSpecString()}: {problem}", nameof(spec));
        return new TrialStarted(spec.Strategy, spec.Backbone, groups, spec.LearningRate, spec.Patience, spec.Step,
            spec.Decay, spec.MaxEpochs, schedule[0].Trains.Count, spec.StopPolicy, spec.MinDelta, spec.Seed, spec.MaxRounds,
            JournalsGroupSets(spec.Strategy) ? schedule : null);
    }

    /// <summary>Whether a strategy's journal names its schedule and group sets. Dynamic and fixed-top-n journals do not,
    /// so that they stay byte for byte as they were: their groups are always the deepest m.</summary>
    public static bool JournalsGroupSets(Strategy strategy) => strategy is not (Strategy.Dynamic or Strategy.FixedTopN);

    /// <summary>
    /// Decides the end of epoch <c>state.EpochsDone + 1</c>: the val loss improves on the best when it beats it by
    /// more than MinDelta (an equal loss does not, NaN never does); when the current phase ends (a plateau of its
    /// patience, or its count of epochs) the next one begins; the schedule's stop rule or the epoch budget may end
    /// training. Before all that, an epoch whose losses diverged (<see cref="Divergence"/>) ends the trial: it neither
    /// improves (its weights are no valid result) nor ends a phase.
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
        var plan = state.Plan();
        var index = state.CurrentPhase(plan);
        var phase = plan[index];

        var epoch = state.EpochsDone + 1;
        var divergence = Divergence.Reason(outcome.TrainLoss, outcome.ValLoss, state.FirstEpochLoss);
        // Strict: an equal loss is no improvement, so the earliest of equal bests is kept. NaN never improves.
        var improved = divergence is null && outcome.ValLoss < state.BestValLoss - state.MinDelta;
        var patience = improved ? 0 : state.PatienceCounter + 1;
        var completed = new EpochCompleted(epoch, outcome.TrainLoss, outcome.ValLoss, outcome.ValAccuracy, outcome.ValMacroF1,
            state.LearningRate, state.UnfrozenGroups, patience, outcome.Seconds, outcome.FeatureCache.Hits, outcome.FeatureCache.Misses,
            state.Schedule is null ? null : phase.Trains);
        if (divergence is not null) return new EpochDecision(completed, Improved: false, Unfreeze: null, StopReason: null, divergence);

        var ends = phase.End.IsReached(patience, epoch - state.PhaseStartEpoch);
        var next = ends && index < plan.LastPhase ? Enter(state, plan[index + 1], improved ? epoch : state.BestEpoch) : null;
        var stop = Stop(state, plan, epoch, lastPhaseEnded: ends && index == plan.LastPhase,
            inLastPhase: (next is null ? index : index + 1) == plan.LastPhase);
        return new EpochDecision(completed, improved, next, stop);
    }

    private static GroupUnfreeze Enter(TrialState s, SchedulePhase phase, int bestEpoch) =>
        new(s.UnfrozenGroups, phase.Trains.Count, s.LearningRate * phase.RateFactor, bestEpoch,
            s.Schedule is null ? null : phase.Trains, phase.Discriminative, phase.ResetOptimizer, phase.RestoreBest);

    /// <returns>The stop reason, or null to go on.</returns>
    private static StopReason? Stop(TrialState s, PhaseSchedule plan, int epoch, bool lastPhaseEnded, bool inLastPhase) => plan.Stop switch
    {
        ScheduleStop.LastPhaseEnds when lastPhaseEnded => plan.LastPhaseReason(s.Groups),
        ScheduleStop.LastPhaseEnds => epoch >= s.MaxEpochs ? StopReason.EpochBudget : null,
        // DO { FOR t = 1..n ... } WHILE m < L: the condition is only looked at when a round of n epochs ends.
        _ when epoch % s.MaxEpochs != 0 => null,
        _ when inLastPhase => StopReason.Algorithm1Complete,
        _ => epoch / s.MaxEpochs >= s.MaxRounds ? StopReason.RoundLimit : null,
    };
}
