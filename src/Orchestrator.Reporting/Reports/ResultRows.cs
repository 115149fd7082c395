using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Reports;

/// <summary>Groups completed trials into configurations (one per backbone and variant, over seeds) and picks,
/// per backbone and strategy, the configuration with the lowest mean best validation loss: chosen on
/// validation, never on test.</summary>
public static class ResultRows
{
    public static IReadOnlyList<ResultRow> Build(IReadOnlyList<TrialOutcome> completed, IReadOnlyList<string> backbones, IReadOnlyList<Strategy> strategies)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var rows = new List<ResultRow>();
        foreach (var backbone in backbones)
        foreach (var strategy in strategies)
        {
            var configurations = completed
                .Where(t => t.Backbone == backbone && t.Strategy == strategy)
                .GroupBy(t => t.Variant, StringComparer.Ordinal)
                .Select(g => g.OrderBy(t => t.Seed).ThenBy(t => t.TrialId, StringComparer.Ordinal).ToArray())
                .OrderBy(g => g.Average(t => t.BestValLoss)).ThenBy(g => g[0].Variant, StringComparer.Ordinal)
                .ToArray();
            for (var i = 0; i < configurations.Length; i++)
                rows.Add(Row(configurations[i], i == 0 ? RowRole.Chosen : RowRole.Candidate));
        }
        return rows;
    }

    private static ResultRow Row(IReadOnlyList<TrialOutcome> trials, RowRole role)
    {
        var first = trials[0];
        var classes = first.ClassNames.Select((name, c) => new ClassSummary(
            name,
            Of(trials, t => t.Classes[c].Precision),
            Of(trials, t => t.Classes[c].Recall),
            Of(trials, t => t.Classes[c].F1))).ToArray();
        var calibrated = trials.Where(t => t.Calibration is not null).Select(t => t.Calibration!.ExpectedCalibrationError).ToArray();
        return new ResultRow(
            first.Backbone, first.Strategy, first.Variant, role, trials,
            Of(trials, t => t.Accuracy), Of(trials, t => t.MacroF1), Of(trials, t => t.BalancedAccuracy),
            calibrated.Length > 0 ? MeanSd.Of(calibrated) : null,
            Of(trials, t => t.UnfrozenGroups), Of(trials, t => t.BestEpoch), Of(trials, t => t.EpochsRun),
            Of(trials, t => t.BestValLoss), Of(trials, t => t.ModelBytes), Of(trials, t => t.LoadSeconds), classes,
            Of(trials, t => t.WallSeconds), Of(trials, t => t.SecondsToBest));
    }

    private static MeanSd Of(IReadOnlyList<TrialOutcome> trials, Func<TrialOutcome, double> value) => MeanSd.Of(trials.Select(value).ToArray());
}
