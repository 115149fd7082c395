using System.Text.Json;
using System.Text.Json.Serialization;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Rendering;

/// <summary>results.json: the whole report model (figures by file name; per-image arrays stay in the journal).</summary>
public static class JsonResults
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Render(SweepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(new
        {
            sweepId = report.SweepId,
            name = report.Name,
            data = report.DataPath,
            synthetic = report.Synthetic,
            totalTrials = report.TotalTrials,
            settings = report.Settings,
            completed = report.Completed.Select(t => new
            {
                trialId = t.TrialId,
                t.Backbone,
                t.Strategy,
                t.Variant,
                t.Seed,
                t.UnfrozenGroups,
                t.Groups,
                t.BestEpoch,
                t.EpochsRun,
                t.BestValLoss,
                t.TestLoss,
                t.Accuracy,
                t.MacroF1,
                t.BalancedAccuracy,
                classes = t.ClassNames.Zip(t.Classes, (name, s) => new { name, s.Precision, s.Recall, s.F1, s.Support }),
                confusion = t.Confusion,
                normalizedConfusion = t.NormalizedConfusion,
                t.ModelBytes,
                t.LoadSeconds,
                ece = t.Calibration?.ExpectedCalibrationError,
                calibrationBins = t.Calibration?.Bins,
                bootstrap = t.Bootstrap,
                learningCurve = t.Curve.Points.Select(p => new { epoch = p.Epoch, valLoss = p.ValLoss }),
                unfreezes = t.Curve.Unfreezes,
                t.WallSeconds,
                t.SecondsToBest,
                t.Phases,
                spec = t.Spec,
            }),
            incomplete = report.Incomplete,
            rows = report.Rows.Select(r => new
            {
                r.Backbone,
                r.Strategy,
                r.Variant,
                role = r.Role,
                trialIds = r.TrialIds,
                r.Accuracy,
                r.MacroF1,
                r.BalancedAccuracy,
                r.Ece,
                r.UnfrozenGroups,
                r.BestEpoch,
                r.EpochsRun,
                r.BestValLoss,
                r.ModelBytes,
                r.LoadSeconds,
                r.WallSeconds,
                r.SecondsToBest,
                r.Classes,
            }),
            paired = report.Paired,
            friedman = report.Friedman,
            mcNemar = report.McNemar,
            strategies = report.StrategyComparisons ?? [],
            figures = report.Figures.Select(f => new { file = $"{ReportFiles.FiguresFolder}/{f.FileName}", f.Title, f.Caption }),
        }, Options);
    }
}
