using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Figures;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Reports;

/// <summary>Loss history of a trial: train and validation loss per epoch, the epochs after which groups were unfrozen,
/// and the epochs at whose end the best weights so far were put back.</summary>
public sealed record LearningCurve(
    IReadOnlyList<(int Epoch, double TrainLoss, double ValLoss)> Points,
    IReadOnlyList<UnfreezeMark> Unfreezes,
    IReadOnlyList<RestoreMark> Restores);

public sealed record UnfreezeMark(int Epoch, int From, int To);

/// <summary>At the end of <c>Epoch</c> the weights went back to those of <c>BestEpoch</c> (0: the initial weights).</summary>
public sealed record RestoreMark(int Epoch, int BestEpoch);

/// <summary>The test figures of one completed trial, all read from its journal.</summary>
public sealed record TrialOutcome(
    string TrialId,
    string Backbone,
    Strategy Strategy,
    string Variant,
    int Seed,
    int UnfrozenGroups,
    int Groups,
    int BestEpoch,
    int EpochsRun,
    double BestValLoss,
    double TestLoss,
    double Accuracy,
    double MacroF1,
    double BalancedAccuracy,
    IReadOnlyList<string> ClassNames,
    IReadOnlyList<ClassScores> Classes,
    int[][] Confusion,
    double[][] NormalizedConfusion,
    long ModelBytes,
    double LoadSeconds,
    CalibrationResult? Calibration,
    ClassificationBootstrap? Bootstrap,
    int[]? TestLabels,
    int[] TestPredictions,
    LearningCurve Curve,
    TrialSpec Spec,
    double WallSeconds = 0,
    double SecondsToBest = 0,
    string Phases = "");

/// <summary>A trial without a test result: pending, running, failed or cancelled; <c>Reason</c> says why when known.</summary>
public sealed record IncompleteTrial(string TrialId, string Backbone, Strategy Strategy, string Variant, int Seed, TrialStatus State, int EpochsDone, string? Reason, TrialSpec Spec);

public enum RowRole { Chosen, Candidate }

public sealed record ClassSummary(string Name, MeanSd Precision, MeanSd Recall, MeanSd F1);

/// <summary>
/// One line of the Table 3/4-shaped results: a configuration (a strategy variant on a backbone) averaged over its
/// completed seeds. Per backbone and strategy the configuration with the lowest mean best validation loss is
/// <see cref="RowRole.Chosen"/>; the others are candidates.
/// </summary>
public sealed record ResultRow(
    string Backbone,
    Strategy Strategy,
    string Variant,
    RowRole Role,
    IReadOnlyList<TrialOutcome> Trials,
    MeanSd Accuracy,
    MeanSd MacroF1,
    MeanSd BalancedAccuracy,
    MeanSd? Ece,
    MeanSd UnfrozenGroups,
    MeanSd BestEpoch,
    MeanSd EpochsRun,
    MeanSd BestValLoss,
    MeanSd ModelBytes,
    MeanSd LoadSeconds,
    IReadOnlyList<ClassSummary> Classes,
    MeanSd? WallSeconds = null,
    MeanSd? SecondsToBest = null)
{
    public IEnumerable<string> TrialIds => Trials.Select(t => t.TrialId);

    /// <summary>The trial whose figures stand for the row in per-model figures: the lowest best validation loss.</summary>
    public TrialOutcome Representative => Trials.OrderBy(t => t.BestValLoss).ThenBy(t => t.TrialId, StringComparer.Ordinal).First();
}

/// <summary>A statistic that ran, or the reason it could not.</summary>
public sealed record Outcome<T>(T? Result, string? NotRun) where T : class
{
    public static Outcome<T> Ran(T result) => new(result, null);
    public static Outcome<T> Skipped(string reason) => new(null, reason);
}

/// <summary>The two strategies' chosen rows on one backbone.</summary>
public sealed record PairedBlock(string Backbone, double First, double Second, IReadOnlyList<string> FirstTrials, IReadOnlyList<string> SecondTrials);

/// <summary>Strategies compared across backbones on one metric (first - second).</summary>
public sealed record PairedComparison(
    string Metric,
    Strategy First,
    Strategy Second,
    IReadOnlyList<PairedBlock> Blocks,
    IReadOnlyList<string> LeftOut,
    Outcome<PairedTTestResult> TTest,
    Outcome<WilcoxonResult> Wilcoxon);

/// <summary>Strategy variants (treatments) ranked over backbones (blocks) on one metric.</summary>
public sealed record FriedmanComparison(
    string Metric,
    IReadOnlyList<string> Treatments,
    IReadOnlyList<string> Blocks,
    IReadOnlyList<string> LeftOut,
    Outcome<FriedmanResult> Test);

/// <summary>One strategy against the reference strategy over the comparison's backbones: Wilcoxon signed-rank of
/// strategy - reference, and its p-value after Holm's correction over every strategy compared with the reference.</summary>
public sealed record ReferencePair(Strategy Strategy, Outcome<WilcoxonResult> Wilcoxon, double? HolmPValue);

/// <summary>What a strategy costs and scores, averaged over the backbones of the comparison (their chosen rows).</summary>
public sealed record StrategyCost(Strategy Strategy, double Accuracy, double MacroF1, double EpochsRun, double WallSeconds,
    double SecondsToBest);

/// <summary>The k strategies (each backbone's chosen configuration of each) on one metric, over the backbones where
/// every one completed: Friedman with Iman-Davenport and Nemenyi, Wilcoxon against the reference with Holm's
/// correction, and each strategy's cost.</summary>
public sealed record StrategyComparison(
    string Metric,
    IReadOnlyList<Strategy> Strategies,
    Strategy Reference,
    IReadOnlyList<string> Blocks,
    IReadOnlyList<string> LeftOut,
    Outcome<FriedmanResult> Friedman,
    IReadOnlyList<ReferencePair> AgainstReference,
    IReadOnlyList<StrategyCost> Costs);

/// <summary>Dynamic and traditional models of one backbone and seed on the same test images.</summary>
public sealed record McNemarComparison(string Backbone, int Seed, string FirstTrial, string SecondTrial, Outcome<McNemarResult> Test);

/// <summary>A figure of the report: its SVG file name, title, a caption naming the trial ids it draws from, and the chart.</summary>
public sealed record Figure(string FileName, string Title, string Caption, Chart Chart)
{
    /// <summary>The figure as SVG, for figures/ and inline in report.html (its ids start with the file's name).</summary>
    public string Svg { get; } = Chart.ToSvg(Path.GetFileNameWithoutExtension(FileName));

    public string PngFileName => Path.ChangeExtension(FileName, ".png");
}

public sealed record SweepReport(
    string SweepId,
    string Name,
    string DataPath,
    bool? Synthetic,
    int TotalTrials,
    IReadOnlyList<TrialOutcome> Completed,
    IReadOnlyList<IncompleteTrial> Incomplete,
    IReadOnlyList<ResultRow> Rows,
    IReadOnlyList<PairedComparison> Paired,
    IReadOnlyList<FriedmanComparison> Friedman,
    IReadOnlyList<McNemarComparison> McNemar,
    ReportSettings Settings,
    IReadOnlyList<Figure> Figures,
    IReadOnlyList<StrategyComparison>? StrategyComparisons = null,
    Tuning? Tuning = null);

/// <summary>The searches of a sweep that pruned or replicated, per cell and per strategy. <c>OnReplicates</c>: the
/// results and tests above come from the replicates alone (<c>Replicates</c> trials), not from these searches.</summary>
public sealed record Tuning(IReadOnlyList<TuningCell> Cells, IReadOnlyList<StrategyBudget> Budgets, bool OnReplicates, int Replicates);

/// <summary>Fixed choices of a report, written into it.</summary>
/// <summary><c>Reference</c>: the strategy every other one is compared with pairwise (Wilcoxon, Holm).</summary>
public sealed record ReportSettings(int CalibrationBins = Calibration.DefaultBins, int BootstrapResamples = 1000, ulong BootstrapSeed = 1, double Alpha = 0.05,
    Strategy Reference = Strategy.Dynamic)
{
    public static ReportSettings Default { get; } = new();
}
