using System.Globalization;
using System.Text.Json;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Runtime.Sweeps;
using Orchestrator.Domain.Trials;
using Spectre.Console;

namespace Orchestrator.Cli.Output;

/// <summary>The tables and JSON documents commands print.</summary>
public static class Tables
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Table Results(IReadOnlyList<ResultRow> rows, bool synthetic)
    {
        var table = new Table().Title(synthetic ? "Results (SYNTHETIC data)" : "Results")
            .AddColumns("backbone", "strategy", "input", "test accuracy", "test macro-F1", "best epoch", "epochs run", "chosen of",
                "model size", "load time", "trial");
        foreach (var row in rows)
        {
            var r = row.Trial.State.Result!;
            table.AddRow(row.Backbone, row.Strategy.ToSpecString(), row.Trial.Spec.InputSize.ToString(CultureInfo.InvariantCulture),
                r.TestAccuracy.ToString("P1", CultureInfo.InvariantCulture),
                r.TestMacroF1.ToString("F3", CultureInfo.InvariantCulture), r.BestEpoch.ToString(CultureInfo.InvariantCulture),
                r.EpochsRun.ToString(CultureInfo.InvariantCulture), row.Candidates.ToString(CultureInfo.InvariantCulture),
                ModelSize(r.ModelBytes), LoadTime(r.LoadSeconds), row.Trial.Record.Id.Value);
        }
        return table;
    }

    public static Table Trials(IReadOnlyList<TrialView> trials)
    {
        var table = new Table().AddColumns("trial", "backbone", "strategy", "status", "epochs", "m/L", "lr", "best val loss", "test acc", "test F1");
        foreach (var t in trials)
        {
            var s = t.State;
            table.AddRow(t.Record.Id.Value, t.Spec.Backbone, t.Spec.Strategy.ToSpecString(), Status(t), $"{s.EpochsDone}/{t.Spec.MaxEpochs}",
                $"{s.UnfrozenGroups}/{s.Groups}", s.LearningRate.ToString("G4", CultureInfo.InvariantCulture),
                s.BestEpoch > 0 ? s.BestValLoss.ToString("F4", CultureInfo.InvariantCulture) : "-",
                s.Result?.TestAccuracy.ToString("P1", CultureInfo.InvariantCulture) ?? "-",
                s.Result?.TestMacroF1.ToString("F3", CultureInfo.InvariantCulture) ?? "-");
        }
        return table;
    }

    /// <summary>Megabytes as the paper's Tables 3 and 4 give them; "-" for results journaled before sizes were.</summary>
    public static string ModelSize(long bytes) =>
        bytes > 0 ? (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " MB" : "-";

    public static string LoadTime(double seconds) =>
        seconds > 0 ? (seconds * 1000).ToString("F0", CultureInfo.InvariantCulture) + " ms" : "-";

    public static string Status(TrialView t) => SweepProgress.StatusOf(t);

    public static object TrialJson(TrialView t) => new
    {
        id = t.Record.Id,
        backbone = t.Spec.Backbone,
        strategy = t.Spec.Strategy.ToSpecString(),
        status = Status(t),
        attempts = t.Record.Attempts,
        assignedTo = t.Record.AssignedTo,
        epochsDone = t.State.EpochsDone,
        maxEpochs = t.Spec.MaxEpochs,
        unfrozenGroups = t.State.UnfrozenGroups,
        groups = t.State.Groups,
        learningRate = t.State.LearningRate,
        bestEpoch = t.State.BestEpoch,
        bestValLoss = t.State.BestEpoch > 0 ? t.State.BestValLoss : (double?)null,
        stopReason = t.State.StopReason?.ToSpecString(),
        testAccuracy = t.State.Result?.TestAccuracy,
        testMacroF1 = t.State.Result?.TestMacroF1,
        modelBytes = t.State.Result?.ModelBytes,
        loadSeconds = t.State.Result?.LoadSeconds,
        failure = t.State.FailureReason,
        divergence = t.State.Divergence is { } d ? new { epoch = d.Epoch, reason = d.Reason } : null,
        spec = t.Spec,
    };
}
