using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Figures;
using Orchestrator.Reporting.Reports;
using Orchestrator.Reporting.Statistics;
using static Orchestrator.Reporting.Rendering.Format;

namespace Orchestrator.Reporting.Rendering;

/// <summary>Lays a sweep report out as a document: the text and tables both report.md and report.html show.</summary>
public static class ReportLayout
{
    public static ReportDocument Build(SweepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var blocks = new List<DocumentBlock>();
        blocks.Add(new Paragraph(DataLine(report)));
        blocks.Add(new Paragraph($"{report.Completed.Count} of {report.TotalTrials} trial(s) completed. Every figure below is computed from the trials' journals; tables name the trials they come from, and results.csv has one row per trial."));
        if (report.Tuning is { OnReplicates: true })
            blocks.Add(new Paragraph("These results and tests come from the replicates alone: each cell's configuration chosen on validation by its search, run again with fresh seeds. " +
                                     "The searches themselves are under \"Tuning history\"."));
        Incomplete(report, blocks);
        Results(report, blocks);
        PerClass(report, blocks);
        Statistics(report, blocks);
        StrategyComparisons(report, blocks);
        Calibration(report, blocks);
        Bootstrap(report, blocks);
        TuningSection(report, blocks);
        if (report.Figures.Count > 0)
        {
            blocks.Add(new Heading(2, "Figures"));
            blocks.AddRange(report.Figures.Select(f => new FigureBlock(f)));
        }
        var synthetic = report.Synthetic == true ? " (SYNTHETIC data)" : "";
        return new ReportDocument($"Sweep report: {report.Name} ({report.SweepId}){synthetic}", blocks);
    }

    private static string DataLine(SweepReport report) => report.Synthetic switch
    {
        true => $"Data: {report.DataPath}. SYNTHETIC: its manifest marks it as a synthetic chest X-ray-like set, so these figures say nothing about real chest X-rays.",
        false => $"Data: {report.DataPath} (its manifest marks it as real, not synthetic).",
        null => $"Data: {report.DataPath}. Its manifest could not be read (moved or deleted), so whether the data are synthetic is unknown here; the numbers come from the journal alone.",
    };

    private static void Incomplete(SweepReport report, List<DocumentBlock> blocks)
    {
        if (report.Incomplete.Count == 0) return;
        blocks.Add(new Heading(2, "Trials without a result"));
        blocks.Add(new Paragraph($"{report.Incomplete.Count} trial(s) have not completed. They are left out of every table, test and figure below; each statistic says which backbones it lost."));
        blocks.Add(new TableBlock(["trial", "backbone", "variant", "seed", "state", "epochs journaled", "reason"],
            report.Incomplete.Select(t => Row(t.TrialId, t.Backbone, t.Variant, I(t.Seed), t.State.ToString().ToLowerInvariant(), I(t.EpochsDone), t.Reason ?? "-")).ToArray()));
    }

    private static void Results(SweepReport report, List<DocumentBlock> blocks)
    {
        blocks.Add(new Heading(2, "Results per backbone and strategy (the paper's Tables 3 and 4)"));
        if (report.Rows.Count == 0)
        {
            blocks.Add(new Paragraph("No trial has completed yet, so there are no results."));
            return;
        }
        blocks.Add(new Paragraph(
            "Test figures of the best-validation weights. Where a strategy has several configurations on a backbone (fixed top-n candidate depths n, or other grid values), " +
            "the one with the lowest best validation loss (mean over seeds) is chosen: the traditional row is chosen on validation, never on test; the others are listed as candidates. " +
            "With several seeds a cell is mean ± sd. n: unfrozen backbone groups (fixed top-n: its n from the start; dynamic: groups unfrozen at the end) of L."));
        blocks.Add(new TableBlock(
            ["backbone", "strategy", "row", "configuration", "seeds", "accuracy", "macro-F1", "balanced acc.", "ECE", "n (of L)", "best epoch", "epochs run", "best val loss", "model MB", "load s", "wall s", "s to best", "trials"],
            report.Rows.Select(r => Row(r.Backbone, ReportFigures.StrategyName(r.Strategy), r.Role == RowRole.Chosen ? "chosen" : "candidate", r.Variant, I(r.Trials.Count),
                MeanSd(r.Accuracy), MeanSd(r.MacroF1), MeanSd(r.BalancedAccuracy), MeanSd(r.Ece),
                $"{MeanSd(r.UnfrozenGroups, 1)} ({I(r.Trials[0].Groups)})", MeanSd(r.BestEpoch, 1), MeanSd(r.EpochsRun, 1), MeanSd(r.BestValLoss, 4),
                Megabytes(r.ModelBytes), MeanSd(r.LoadSeconds, 3), MeanSd(r.WallSeconds, 1), MeanSd(r.SecondsToBest, 1), string.Join(" ", r.TrialIds))).ToArray()));
    }

    private static void PerClass(SweepReport report, List<DocumentBlock> blocks)
    {
        var chosen = report.Rows.Where(r => r.Role == RowRole.Chosen).ToArray();
        if (chosen.Length == 0) return;
        blocks.Add(new Heading(2, "Per-class precision, recall and F1 (chosen rows)"));
        blocks.Add(new Paragraph("Zero where undefined (0/0), as scikit-learn's zero_division=0; support is the test images of the class."));
        blocks.Add(new TableBlock(["backbone", "strategy", "class", "precision", "recall", "F1", "support", "trials"],
            chosen.SelectMany(r => r.Classes.Select((c, i) => Row(r.Backbone, ReportFigures.StrategyName(r.Strategy), c.Name,
                MeanSd(c.Precision), MeanSd(c.Recall), MeanSd(c.F1), I(r.Trials[0].Classes[i].Support), string.Join(" ", r.TrialIds)))).ToArray()));
    }

    private static void Statistics(SweepReport report, List<DocumentBlock> blocks)
    {
        blocks.Add(new Heading(2, "Statistical comparison of the strategies"));
        blocks.Add(new Paragraph("Paired over backbones (each backbone one pair: the chosen rows' means over seeds), two-sided: paired t-test (as scipy.stats.ttest_rel) " +
                                 "and Wilcoxon signed-rank test (as R's wilcox.test(paired=TRUE)). Only backbones where both strategies completed form pairs."));
        foreach (var p in report.Paired)
        {
            blocks.Add(new Heading(3, $"{p.Metric}: {p.First.ToSpecString()} - {ReportFigures.StrategyName(p.Second)}"));
            if (p.Blocks.Count > 0)
                blocks.Add(new TableBlock(["backbone", p.First.ToSpecString(), ReportFigures.StrategyName(p.Second), "difference", "trials"],
                    p.Blocks.Select(b => Row(b.Backbone, F(b.First), F(b.Second), F(b.First - b.Second), string.Join(" ", b.FirstTrials.Concat(b.SecondTrials)))).ToArray()));
            var items = new List<string>
            {
                p.TTest.Result is { } t
                    ? $"paired t-test: mean difference {F(t.MeanDifference, 4)}, sd {F(t.SdDifference, 4)}, t({t.DegreesOfFreedom}) = {F(t.T)}, p = {P(t.PValue)}, 95% CI [{F(t.CiLower, 4)}, {F(t.CiUpper, 4)}]"
                    : $"paired t-test not run: {p.TTest.NotRun}",
                p.Wilcoxon.Result is { } w
                    ? $"Wilcoxon signed-rank: V = {F(w.V, 1)}, n = {w.N} ({w.ZerosDropped} zero difference(s) dropped), p = {P(w.PValue)} ({(w.Method == WilcoxonMethod.Exact ? "exact" : "normal approximation")})"
                    : $"Wilcoxon signed-rank not run: {p.Wilcoxon.NotRun}",
            };
            if (p.LeftOut.Count > 0) items.Add($"left out ({p.LeftOut.Count} backbone(s)): {string.Join("; ", p.LeftOut)}");
            blocks.Add(new BulletList(items));
        }

        blocks.Add(new Heading(3, "Friedman test over strategy variants, with Iman-Davenport F and Nemenyi critical difference"));
        foreach (var f in report.Friedman)
        {
            if (f.Test.Result is not { } r)
            {
                blocks.Add(new Paragraph($"{f.Metric}: not run: {f.Test.NotRun}." + (f.LeftOut.Count > 0 ? $" Left out: {string.Join("; ", f.LeftOut)}." : "")));
                continue;
            }
            blocks.Add(new Paragraph($"{f.Metric} over {r.Blocks} backbones ({string.Join(", ", f.Blocks)}): {FriedmanFigures(r)} (rank 1 = lowest score)." +
                                     (f.LeftOut.Count > 0 ? $" Left out: {string.Join("; ", f.LeftOut)}." : "")));
            blocks.Add(new TableBlock(["variant", "average rank"], f.Treatments.Select((t, i) => Row(t, F(r.AverageRanks[i], 2))).ToArray()));
            blocks.Add(new TableBlock(["pair", "rank difference", "Nemenyi p", "differ"],
                r.Pairs.Select(q => Row($"{f.Treatments[q.First]} vs {f.Treatments[q.Second]}", F(q.RankDifference, 2), P(q.PValue), q.Differ ? "yes" : "no")).ToArray()));
        }

        blocks.Add(new Heading(3, "McNemar test per backbone (same test images)"));
        if (report.McNemar.Count == 0)
        {
            blocks.Add(new Paragraph("Not run: the sweep does not compare dynamic with fixed top-n."));
            return;
        }
        blocks.Add(new Paragraph("b: images only the dynamic model classified correctly; c: only the traditional one. chi2 continuity-corrected (R's mcnemar.test); exact: two-sided binomial."));
        blocks.Add(new TableBlock(["backbone", "seed", "dynamic trial", "traditional trial", "b", "c", "chi2", "p", "exact p"],
            report.McNemar.Select(m => m.Test.Result is { } r
                ? Row(m.Backbone, I(m.Seed), m.FirstTrial, m.SecondTrial, I(r.B), I(r.C), F(r.ChiSquare), P(r.ChiSquarePValue), P(r.ExactPValue))
                : Row(m.Backbone, m.Seed == 0 ? "-" : I(m.Seed), m.FirstTrial, m.SecondTrial, "-", "-", "-", $"not run: {m.Test.NotRun}", "-")).ToArray()));
    }

    private static void StrategyComparisons(SweepReport report, List<DocumentBlock> blocks)
    {
        if (report.StrategyComparisons is not { Count: > 0 } comparisons) return;
        blocks.Add(new Heading(2, $"The {comparisons[0].Strategies.Count} strategies compared"));
        blocks.Add(new Paragraph("Each backbone is a block, each strategy a treatment (its chosen configuration's mean over seeds); only backbones where every strategy completed count. " +
                                 "Friedman test with Iman-Davenport F and the Nemenyi critical difference (rank 1 = lowest score, so higher average ranks are better); " +
                                 $"Wilcoxon signed-rank (as R's wilcox.test(paired=TRUE)) of each strategy - {comparisons[0].Reference.ToSpecString()}, with Holm's correction over those comparisons (as R's p.adjust(method=\"holm\")). " +
                                 "Cost: epochs run, wall time of training and validation (the epochs' seconds), and the time to the best epoch, means over the backbones."));
        foreach (var c in comparisons)
        {
            blocks.Add(new Heading(3, c.Metric));
            var r = c.Friedman.Result;
            blocks.Add(new Paragraph((r is not null
                    ? $"Over {r.Blocks} backbones ({string.Join(", ", c.Blocks)}): {FriedmanFigures(r)}."
                    : $"Friedman test not run: {c.Friedman.NotRun}.") +
                (c.LeftOut.Count > 0 ? $" Left out: {string.Join("; ", c.LeftOut)}." : "")));
            if (c.Costs.Count > 0)
                blocks.Add(new TableBlock(["strategy", "average rank", "accuracy", "macro-F1", "epochs run", "wall s", "s to best"],
                    c.Costs.Select((k, i) => Row(ReportFigures.StrategyName(k.Strategy), r is null ? "-" : F(r.AverageRanks[i], 2), F(k.Accuracy), F(k.MacroF1),
                        F(k.EpochsRun, 1), F(k.WallSeconds, 1), F(k.SecondsToBest, 1))).ToArray()));
            if (c.AgainstReference.Count > 0)
                blocks.Add(new TableBlock([$"strategy - {c.Reference.ToSpecString()}", "V", "n", "p", "Holm p"],
                    c.AgainstReference.Select(q => q.Wilcoxon.Result is { } w
                        ? Row(ReportFigures.StrategyName(q.Strategy), F(w.V, 1), I(w.N), P(w.PValue), q.HolmPValue is { } h ? P(h) : "-")
                        : Row(ReportFigures.StrategyName(q.Strategy), "-", "-", $"not run: {q.Wilcoxon.NotRun}", "-")).ToArray()));
        }
    }

    private static void Calibration(SweepReport report, List<DocumentBlock> blocks)
    {
        if (report.Completed.Count == 0) return;
        blocks.Add(new Heading(2, "Calibration"));
        blocks.Add(new Paragraph($"Expected calibration error over the test images: each image's confidence is its top softmax probability; images fall into " +
                                 $"{report.Settings.CalibrationBins} equal-width confidence bins [b/{report.Settings.CalibrationBins}, (b+1)/{report.Settings.CalibrationBins}) (the last closed at 1); " +
                                 "ECE = sum over bins of (images in bin / all images) x |accuracy in bin - mean confidence in bin|. 0 is perfect calibration."));
        var missing = report.Completed.Where(t => t.Calibration is null).Select(t => t.TrialId).ToArray();
        if (missing.Length > 0)
            blocks.Add(new Paragraph($"No ECE for {missing.Length} trial(s) whose journal predates per-image test probabilities: {string.Join(", ", missing)}."));
    }

    private static void Bootstrap(SweepReport report, List<DocumentBlock> blocks)
    {
        if (report.Completed.Count == 0) return;
        var s = report.Settings;
        blocks.Add(new Heading(2, "Every completed trial, with bootstrap 95% confidence intervals"));
        blocks.Add(new Paragraph($"Percentile bootstrap over the test images: {s.BootstrapResamples} resamples, seed {s.BootstrapSeed}, so the intervals are reproducible."));
        blocks.Add(new TableBlock(["trial", "backbone", "variant", "seed", "accuracy [95% CI]", "macro-F1 [95% CI]", "balanced acc.", "ECE", "n (of L)", "best epoch", "epochs run", "phases (groups, epochs)"],
            report.Completed.Select(t => Row(t.TrialId, t.Backbone, t.Variant, I(t.Seed),
                t.Bootstrap is { } b ? Ci(b.Accuracy) : F(t.Accuracy), t.Bootstrap is { } c ? Ci(c.MacroF1) : F(t.MacroF1),
                F(t.BalancedAccuracy), t.Calibration is { } e ? F(e.ExpectedCalibrationError) : "-", $"{I(t.UnfrozenGroups)} ({I(t.Groups)})",
                I(t.BestEpoch), I(t.EpochsRun), t.Phases)).ToArray()));
        var noLabels = report.Completed.Where(t => t.Bootstrap is null).Select(t => t.TrialId).ToArray();
        if (noLabels.Length > 0)
            blocks.Add(new Paragraph($"No interval for {noLabels.Length} trial(s) whose journal predates per-image test labels: {string.Join(", ", noLabels)}."));
    }

    private static void TuningSection(SweepReport report, List<DocumentBlock> blocks)
    {
        if (report.Tuning is not { } tuning) return;
        blocks.Add(new Heading(2, "Tuning history"));
        blocks.Add(new Paragraph("Each (backbone, strategy) cell searched its configurations with the same budget; successive halving (when the spec prunes) " +
                                 "compared them inside the cell only, never across cells. Epochs: those journaled by the cell's trials; wall s: their training and validation seconds. " +
                                 "Chosen: the cell's completed trial with the lowest best validation loss" +
                                 (tuning.OnReplicates ? ", whose configuration the replicates run." : ".")));
        blocks.Add(new TableBlock(["cell", "configurations", "pruned", "completed", "epochs", "full grid epochs", "saved", "wall s", "chosen", "its best val loss"],
            tuning.Cells.Select(c => Row(c.Cell, I(c.Configurations), I(c.Pruned), I(c.Completed), I(c.Epochs), I(c.GridEpochs), Saved(c.Epochs, c.GridEpochs),
                F(c.WallSeconds, 1), c.Chosen ?? "-", c.Curve.Count > 0 ? F(c.Curve[^1].BestValLoss, 4) : "-")).ToArray()));
        blocks.Add(new Heading(3, "Budget per strategy"));
        blocks.Add(new TableBlock(["strategy", "cells", "configurations", "epochs", "full grid epochs", "saved", "wall s"],
            tuning.Budgets.Select(b => Row(ReportFigures.StrategyName(b.Strategy), I(b.Cells), I(b.Configurations), I(b.Epochs), I(b.GridEpochs),
                Saved(b.Epochs, b.GridEpochs), F(b.WallSeconds, 1))).ToArray()));
    }

    private static string Saved(int epochs, int grid) => grid == 0 ? "-" : $"{F(100.0 * (grid - epochs) / grid, 1)} %";

    private static string FriedmanFigures(FriedmanResult r) =>
        $"chi2({r.DegreesOfFreedom}) = {F(r.ChiSquare)}, p = {P(r.PValue)}; " +
        $"Iman-Davenport F({r.ImanDavenportDf1}, {r.ImanDavenportDf2}) = {F(r.ImanDavenportF)}, p = {P(r.ImanDavenportPValue)}; " +
        $"Nemenyi CD = {F(r.NemenyiCriticalDifference)} at alpha {r.Alpha}";

    private static IReadOnlyList<string> Row(params string[] cells) => cells;
}
