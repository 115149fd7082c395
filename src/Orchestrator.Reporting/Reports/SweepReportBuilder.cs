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
        var variants = new StrategyVariants(results.Trials.Select(t => t.Spec));
        var completed = new List<TrialOutcome>();
        var incomplete = new List<IncompleteTrial>();
        foreach (var trial in results.Trials)
        {
            var state = TrialEvolution.Replay(trial.Events);
            var effective = TrialOutcomes.EffectiveState(trial, state);
            var variant = variants.Label(trial.Spec);
            if (effective == TrialStatus.Completed) completed.Add(TrialOutcomes.Read(trial, variant, state, settings));
            else incomplete.Add(TrialOutcomes.Incomplete(trial, variant, state, effective));
        }

        var backbones = results.Trials.Select(t => t.Spec.Backbone).Distinct(StringComparer.Ordinal).ToArray();
        var strategies = results.Trials.Select(t => t.Spec.Strategy).Distinct().ToArray();
        var allVariants = results.Trials.Select(t => variants.Label(t.Spec)).Distinct(StringComparer.Ordinal).ToArray();
        var rows = ResultRows.Build(completed, backbones, strategies);
        var report = new SweepReport(
            results.SweepId, results.Name, results.DataPath, results.Synthetic, results.Trials.Count,
            completed, incomplete, rows,
            Comparisons.Paired(rows, backbones, strategies),
            Comparisons.Friedman(rows, backbones, allVariants, settings.Alpha),
            Comparisons.McNemar(rows, backbones, strategies),
            settings, [],
            Comparisons.Strategies(rows, backbones, strategies, settings.Reference, settings.Alpha));
        return report with { Figures = ReportFigures.Build(report) };
    }
}
