using Orchestrator.Domain.Events;
using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Reports;

/// <summary>Reads one trial's journal into its report figures, or into the reason it has none.</summary>
public static class TrialOutcomes
{
    /// <summary>The events of the trial's latest start (a TrialStarted begins the trial afresh).</summary>
    public static IReadOnlyList<TrialEvent> CurrentRun(IReadOnlyList<TrialEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var start = -1;
        for (var i = 0; i < events.Count; i++)
            if (events[i] is TrialStarted) start = i;
        return start <= 0 ? events : events.Skip(start).ToArray();
    }

    /// <summary>The state the journal and the store agree on: the journal's final outcome wins over the row, and a row
    /// that says completed without one is failed.</summary>
    public static TrialStatus EffectiveState(TrialResults trial, TrialState state)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(state);
        return state.End?.Status() ?? (trial.State == TrialStatus.Completed ? TrialStatus.Failed : trial.State);
    }

    public static TrialOutcome Read(TrialResults trial, string variant, TrialState state, ReportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(settings);
        var result = state.Result ?? throw new ArgumentException($"trial {trial.Id} has no TrialCompleted event", nameof(state));
        var run = CurrentRun(trial.Events);
        var started = run.OfType<TrialStarted>().FirstOrDefault();
        var classes = result.ConfusionMatrix.Length;
        var names = result.ClassNames is { } given && given.Length == classes
            ? given
            : Enumerable.Range(0, classes).Select(c => $"class {c}").ToArray();
        var perClass = PerClassMetrics.FromConfusion(result.ConfusionMatrix);
        var predictions = result.TestPredictions ?? [];
        var labels = result.TestLabels is { Length: > 0 } l && l.Length == predictions.Length ? l : null;
        var calibration = labels is not null && result.TestProbabilities is { } p && p.Length == labels.Length
            ? Calibration.Compute(labels, p, settings.CalibrationBins)
            : null;
        var bootstrap = labels is not null
            ? BootstrapCi.Classification(labels, predictions, classes, settings.BootstrapResamples, settings.BootstrapSeed)
            : null;
        // Fixed top-n trains its initial n groups throughout; dynamic ends with however many it had unfrozen.
        var unfrozen = trial.Spec.Strategy == Strategy.FixedTopN && started is not null ? started.InitialUnfrozenGroups : state.UnfrozenGroups;
        var curve = new LearningCurve(
            run.OfType<EpochCompleted>().Select(e => (e.Epoch, e.TrainLoss, e.ValLoss)).ToArray(),
            run.OfType<GroupsUnfrozen>().Select(g => new UnfreezeMark(g.Epoch, g.From, g.To)).ToArray(),
            run.OfType<BestWeightsRestored>().Select(r => new RestoreMark(r.Epoch, r.BestEpoch)).ToArray());

        return new TrialOutcome(
            trial.Id, trial.Spec.Backbone, trial.Spec.Strategy, variant, trial.Spec.Seed, unfrozen, state.Groups,
            result.BestEpoch, result.EpochsRun, result.BestValLoss, result.TestLoss, result.TestAccuracy, result.TestMacroF1,
            perClass.BalancedAccuracy, names, perClass.Classes, result.ConfusionMatrix,
            PerClassMetrics.RowNormalized(result.ConfusionMatrix), result.ModelBytes, result.LoadSeconds,
            calibration, bootstrap, labels, predictions, curve, trial.Spec,
            run.OfType<EpochCompleted>().Sum(e => e.Seconds),
            run.OfType<EpochCompleted>().Where(e => e.Epoch <= result.BestEpoch).Sum(e => e.Seconds),
            PhaseHistory.Describe(run));
    }

    public static IncompleteTrial Incomplete(TrialResults trial, string variant, TrialState state, TrialStatus effective)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(state);
        var reason = effective switch
        {
            TrialStatus.Failed when state.FailureReason is { } r => r,
            TrialStatus.Failed when trial.State == TrialStatus.Completed => "the store marks it completed but its journal has no TrialCompleted event",
            TrialStatus.Pending when state.EpochsDone == 0 => "not started yet",
            TrialStatus.Pending => $"interrupted after epoch {state.EpochsDone}; waiting to be resumed",
            TrialStatus.Running => $"running: {state.EpochsDone} epoch(s) journaled" + (state.FailureReason is { } a ? $" (last failed attempt: {a})" : ""),
            TrialStatus.Cancelled => "cancelled",
            TrialStatus.Diverged when state.Divergence is { } d => Divergence.Describe(d),
            TrialStatus.Pruned => $"pruned by its cell's successive halving after epoch {state.EpochsDone} (best validation loss {state.BestValLoss:0.####})",
            _ => state.FailureReason,
        };
        return new IncompleteTrial(trial.Id, trial.Spec.Backbone, trial.Spec.Strategy, variant, trial.Spec.Seed, effective, state.EpochsDone, reason, trial.Spec);
    }
}
