using System.Text.RegularExpressions;
using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Figures;

/// <summary>The figures of a sweep report; each caption names the trials it is drawn from.</summary>
public static partial class ReportFigures
{
    public static IReadOnlyList<Figure> Build(SweepReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var figures = new List<Figure>();
        if (report.Tuning is { Cells.Count: > 0 } tuning)
        {
            const string tuningTitle = "Tuning history: best validation loss against epochs spent";
            figures.Add(new Figure("tuning-history.svg", tuningTitle,
                "Each cell's search: the lowest validation loss found so far against the epochs spent, taken rung by rung; faint vertical lines: each cell's full grid. " +
                $"Trials of the cells {string.Join(", ", tuning.Cells.Select(c => c.Cell))}.",
                TuningChart.Render(tuningTitle, tuning.Cells)));
        }
        var chosen = report.Rows.Where(r => r.Role == RowRole.Chosen).ToArray();
        var backbones = chosen.Select(r => r.Backbone).Distinct(StringComparer.Ordinal).ToArray();
        var strategies = chosen.Select(r => r.Strategy).Distinct().ToArray();
        if (chosen.Length == 0) return figures;

        figures.Add(Bars(report, "accuracy", "test accuracy", r => r.Accuracy, chosen, backbones, strategies));
        figures.Add(Bars(report, "macro-f1", "test macro-F1", r => r.MacroF1, chosen, backbones, strategies));

        foreach (var row in chosen)
        {
            var t = row.Representative;
            var title = $"Confusion matrix: {row.Backbone}, {StrategyName(row.Strategy)}";
            figures.Add(new Figure($"confusion-{Slug(row.Backbone)}-{Slug(row.Strategy.ToSpecString())}.svg", title,
                $"Row-normalized test confusion matrix of trial {t.TrialId} ({t.Variant}, seed {t.Seed}).",
                ConfusionHeatmap.Render(title, t.ClassNames, t.NormalizedConfusion, t.Confusion)));
        }

        foreach (var backbone in backbones)
        {
            var rows = chosen.Where(r => r.Backbone == backbone).ToArray();
            var title = $"Loss per epoch: {backbone}";
            var series = rows.Select(r => new CurveSeries($"{StrategyName(r.Strategy)} ({r.Representative.TrialId})", r.Representative.Curve)).ToArray();
            figures.Add(new Figure($"learning-{Slug(backbone)}.svg", title,
                $"Validation (bold, filled circles) and train (faint, open squares) loss of trials {Ids(rows)}; faint vertical lines mark the epochs after which groups were unfrozen (m from\u2192to), diamonds the epochs at whose end the best weights were restored (restore eN: those of epoch N, joined to it at its validation loss).",
                LearningChart.Render(title, series)));

            var calibrated = rows.Where(r => r.Representative.Calibration is not null).ToArray();
            if (calibrated.Length == 0) continue;
            var reliabilityTitle = $"Reliability diagram: {backbone}";
            figures.Add(new Figure($"reliability-{Slug(backbone)}.svg", reliabilityTitle,
                $"Top-class confidence against accuracy in {report.Settings.CalibrationBins} equal-width bins, trials {Ids(calibrated)}; marker size grows with the bin's image count.",
                ReliabilityDiagram.Render(reliabilityTitle, calibrated.Select(r => new ReliabilitySeries(
                    $"{StrategyName(r.Strategy)}, ECE {r.Representative.Calibration!.ExpectedCalibrationError:0.###}",
                    r.Representative.Calibration.Bins.Select(b => (b.MeanConfidence, b.Accuracy, b.Count)).ToArray())).ToArray())));
        }

        foreach (var f in report.Friedman)
        {
            if (f.Test.Result is not { } result) continue;
            var title = $"Critical difference (Nemenyi, alpha {result.Alpha}): {f.Metric}";
            figures.Add(new Figure($"cd-{Slug(f.Metric)}.svg", title,
                $"Average ranks of the strategy variants over {result.Blocks} backbones ({string.Join(", ", f.Blocks)}); variants joined by a bar are not significantly different.",
                CriticalDifferenceDiagram.Render(title, f.Treatments, result.AverageRanks, result.NemenyiCriticalDifference)));
        }
        foreach (var c in report.StrategyComparisons ?? [])
        {
            if (c.Friedman.Result is not { } result) continue;
            var title = $"Critical difference of the {c.Strategies.Count} strategies (Nemenyi, alpha {result.Alpha}): {c.Metric}";
            figures.Add(new Figure($"cd-strategies-{Slug(c.Metric)}.svg", title,
                $"Average ranks of the strategies over {result.Blocks} backbones ({string.Join(", ", c.Blocks)}); strategies joined by a bar are not significantly different.",
                CriticalDifferenceDiagram.Render(title, c.Strategies.Select(StrategyName).ToArray(), result.AverageRanks, result.NemenyiCriticalDifference)));
        }
        return figures;
    }

    /// <summary>The paper's names: fixed top-n is the "traditional" fine-tuning it compares against.</summary>
    public static string StrategyName(Strategy strategy) => strategy == Strategy.FixedTopN ? "traditional (fixed top-n)" : strategy.ToSpecString();

    private static Figure Bars(SweepReport report, string slug, string label, Func<ResultRow, MeanSd> metric,
        IReadOnlyList<ResultRow> chosen, IReadOnlyList<string> backbones, IReadOnlyList<Strategy> strategies)
    {
        var series = strategies.Select(s =>
        {
            var rows = backbones.Select(b => chosen.FirstOrDefault(r => r.Backbone == b && r.Strategy == s)).ToArray();
            return new BarSeries(StrategyName(s), rows.Select(r => r is null ? (double?)null : metric(r).Mean).ToArray(),
                rows.Select(r => r is null ? null : metric(r).Sd).ToArray());
        }).ToArray();
        var title = $"{char.ToUpperInvariant(label[0])}{label[1..]} per backbone";
        return new Figure($"{slug}.svg", title,
            $"Mean {label} of the chosen configuration per backbone and strategy (error bars: sd over seeds where there are several); trials {Ids(chosen)}. Sweep {report.Name}.",
            BarChart.Render(title, "backbone", label, backbones, series));
    }

    private static string Ids(IEnumerable<ResultRow> rows) => string.Join(", ", rows.SelectMany(r => r.TrialIds));

    public static string Slug(string text) => SlugPattern().Replace(text.ToLowerInvariant(), "-").Trim('-');

    [GeneratedRegex("[^a-z0-9_.]+")]
    private static partial Regex SlugPattern();
}
