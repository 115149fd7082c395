using System.Globalization;
using System.Text;
using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Rendering;

/// <summary>results.csv: one row per trial (incomplete ones with empty metrics and their state and reason).</summary>
public static class CsvResults
{
    public static string Render(SweepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var classes = report.Completed.FirstOrDefault()?.ClassNames ?? [];
        var header = new List<string>
        {
            "trial_id", "sweep_id", "backbone", "strategy", "variant", "seed", "state", "row", "learning_rate", "patience", "step", "decay",
            "max_epochs", "fixed_top_n", "unfrozen_groups", "groups", "best_epoch", "epochs_run", "best_val_loss", "test_loss",
            "accuracy", "accuracy_ci_lower", "accuracy_ci_upper", "macro_f1", "macro_f1_ci_lower", "macro_f1_ci_upper",
            "balanced_accuracy", "ece", "model_bytes", "load_seconds",
        };
        foreach (var c in classes) header.AddRange([$"precision_{c}", $"recall_{c}", $"f1_{c}"]);
        header.Add("reason");

        var csv = new StringBuilder();
        csv.AppendLine(Line(header));
        foreach (var t in report.Completed)
        {
            var row = report.Rows.First(r => r.TrialIds.Contains(t.TrialId));
            var cells = Common(report, t.Spec, t.TrialId, t.Variant, "completed", row.Role == RowRole.Chosen ? "chosen" : "candidate");
            cells.AddRange([
                N(t.UnfrozenGroups), N(t.Groups), N(t.BestEpoch), N(t.EpochsRun), N(t.BestValLoss), N(t.TestLoss),
                N(t.Accuracy), N(t.Bootstrap?.Accuracy.Lower), N(t.Bootstrap?.Accuracy.Upper),
                N(t.MacroF1), N(t.Bootstrap?.MacroF1.Lower), N(t.Bootstrap?.MacroF1.Upper),
                N(t.BalancedAccuracy), N(t.Calibration?.ExpectedCalibrationError), N(t.ModelBytes), N(t.LoadSeconds),
            ]);
            for (var c = 0; c < classes.Count; c++)
            {
                var s = c < t.Classes.Count ? t.Classes[c] : null;
                cells.AddRange([N(s?.Precision), N(s?.Recall), N(s?.F1)]);
            }
            cells.Add("");
            csv.AppendLine(Line(cells));
        }
        foreach (var t in report.Incomplete)
        {
            var cells = Common(report, t.Spec, t.TrialId, t.Variant, t.State.ToString().ToLowerInvariant(), "");
            cells.AddRange(Enumerable.Repeat("", header.Count - cells.Count - 1));
            cells.Add(t.Reason ?? "");
            csv.AppendLine(Line(cells));
        }
        return csv.ToString();
    }

    private static List<string> Common(SweepReport report, TrialSpec s, string id, string variant, string state, string role) =>
    [
        id, report.SweepId, s.Backbone, s.Strategy.ToSpecString(), variant, N(s.Seed), state, role, N(s.LearningRate), N(s.Patience), N(s.Step), N(s.Decay),
        N(s.MaxEpochs), N(s.FixedTopN),
    ];

    private static string N(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "";

    private static string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(Quote));

    /// <summary>Quotes a field holding a comma, quote or line break, doubling its quotes (RFC 4180).</summary>
    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
