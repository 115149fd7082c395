using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Figures;

namespace Orchestrator.Reporting.Reports;

/// <summary>
/// Computes a sweep's report from its trials' journals: results per backbone and strategy, the statistical
/// comparison of the strategies, and the figures. Pure: no store, no files, no clock.
/// </summary>
public static class SweepReportBuilder
{
    public static SweepReport Build(SweepResults results, ReportSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        settings ??= ReportSettings.Default;
        var (compared, tuning) = Split(results);
        var variants = new StrategyVariants(compared.Select(t => t.Spec));
        var completed = new List<TrialOutcome>();
        var incomplete = new List<IncompleteTrial>();
        foreach (var trial in compared)
        {
            var state = TrialEvolution.Replay(trial.Events);
            var effective = TrialOutcomes.EffectiveState(trial, state);
            var variant = variants.Label(trial.Spec);
            if (effective == TrialStatus.Completed) completed.Add(TrialOutcomes.Read(trial, variant, state, settings));
            else incomplete.Add(TrialOutcomes.Incomplete(trial, variant, state, effective));
        }

        var backbones = compared.Select(t => t.Spec.Backbone).Distinct(StringComparer.Ordinal).ToArray();
        var strategies = compared.Select(t => t.Spec.Strategy).Distinct().ToArray();
        var allVariants = compared.Select(t => variants.Label(t.Spec)).Distinct(StringComparer.Ordinal).ToArray();
        var rows = ResultRows.Build(completed, backbones, strategies);
        var report = new SweepReport(
            results.SweepId, results.Name, results.DataPath, results.Synthetic, compared.Count,
            completed, incomplete, rows,
            Comparisons.Paired(rows, backbones, strategies),
            Comparisons.Friedman(rows, backbones, allVariants, settings.Alpha),
            Comparisons.McNemar(rows, backbones, strategies),
            settings, [],
            Comparisons.Strategies(rows, backbones, strategies, settings.Reference, settings.Alpha),
            tuning);
        return report with { Figures = ReportFigures.Build(report) };
    }

    /// <summary>The trials the comparison is made on, and the tuning history of a planned sweep: with replicates, the
    /// comparison takes the replicates alone (complete blocks: each cell's chosen configuration on every replicate
    /// seed) and the searches are history; a sweep that only pruned compares what its searches completed.</summary>
    private static (IReadOnlyList<TrialResults> Compared, Tuning? Tuning) Split(SweepResults results)
    {
        if (results.Plan is not { } plan) return (results.Trials, null);
        var search = plan.SearchTrials();
        var cells = TuningHistory.Cells(plan, results.Trials);
        var onReplicates = plan.ReplicateSeeds.Count > 0;
        var compared = onReplicates ? results.Trials.Where(t => !search.Contains(new Domain.Trials.TrialId(t.Id))).ToList() : results.Trials;
        return (compared, new Tuning(cells, TuningHistory.Budgets(cells), onReplicates, onReplicates ? compared.Count : 0));
    }
}
