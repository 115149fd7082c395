using Orchestrator.Domain.Coordination;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Rendering;
using Orchestrator.Reporting.Reports;
using static Orchestrator.Reporting.Tests.Reports.TrialStreams;

namespace Orchestrator.Reporting.Tests.Reports;

/// <summary>Issue 28: a replicated sweep's report compares its replicates alone, and shows its searches as tuning
/// history: per cell the epochs spent against the full grid, what was pruned, the choice, and the best-so-far curve.</summary>
public class TuningHistoryTests
{
    private const string A = "mobilenet_v2", B = "densenet121";
    private static readonly int[] All = [0, 0, 0, 1, 1, 2, 2, 2];
    private static readonly int[] Six = [0, 0, 1, 1, 0, 2, 2, 2];

    /// <summary>Two backbones x two strategies, each cell a search of three configurations with one rung at epoch 1
    /// (two pruned after it, one completed: 3 epochs), and two replicates (seeds 7 and 8) of each choice.</summary>
    private static SweepResults Sweep()
    {
        var trials = new List<TrialResults>();
        var cells = new List<CellPlan>();
        foreach (var backbone in new[] { A, B })
        foreach (var strategy in new[] { Strategy.Dynamic, Strategy.FixedTopN })
        {
            var cell = $"{backbone}/{strategy.ToSpecString()}";
            var ids = Enumerable.Range(0, 3).Select(i => $"t-{backbone[..3]}-{strategy.ToSpecString()[..3]}-{i}").ToList();
            trials.Add(Pruned(ids[0], Spec(backbone, strategy, 1) with { LearningRate = 0.1 }, 0.9));
            trials.Add(Completed(ids[1], Spec(backbone, strategy, 1), 0.3, All));
            trials.Add(Pruned(ids[2], Spec(backbone, strategy, 1) with { LearningRate = 0.01 }, 0.7));
            cells.Add(new CellPlan(cell, [.. ids.Select(id => new TrialId(id))], [1]));
            foreach (var seed in new[] { 7, 8 })
                trials.Add(Completed($"{ids[1]}-r{seed}", Spec(backbone, strategy, seed), strategy == Strategy.Dynamic ? 0.25 : 0.35,
                    strategy == Strategy.Dynamic ? All : Six));
        }
        return new SweepResults("sw-tuned", "tuned", "no-such-data", null, trials, new SweepPlan(cells, 3, [7, 8]));
    }

    [Fact]
    public void The_comparison_uses_the_replicates_alone_and_the_searches_are_tuning_history()
    {
        var report = SweepReportBuilder.Build(Sweep());

        report.TotalTrials.Should().Be(8);
        report.Completed.Should().HaveCount(8).And.OnlyContain(t => t.TrialId.Contains("-r"));
        report.Incomplete.Should().BeEmpty("the pruned search trials are history, not missing results");
        report.Rows.Should().OnlyContain(r => r.Trials.Count == 2, "each cell is its choice on both replicate seeds");
        report.McNemar.Should().HaveCount(4, "one per backbone and replicate seed");

        var tuning = report.Tuning!;
        tuning.OnReplicates.Should().BeTrue();
        tuning.Cells.Should().HaveCount(4);
        var cell = tuning.Cells.Single(c => c.Cell == "mobilenet_v2/dynamic");
        cell.Should().BeEquivalentTo(new { Configurations = 3, Pruned = 2, Completed = 1, Epochs = 5, GridEpochs = 15, Chosen = "t-mob-dyn-1" });
        cell.WallSeconds.Should().Be(2 + 2 + 3 * 1.0, "two pruned epochs of 2 s, three completed ones of 1 s");
        // Rung 0 first (epoch 1 of each configuration, in plan order), then the survivor's later epochs.
        cell.Curve.Should().Equal((1, 0.9), (2, 0.5), (3, 0.5), (4, 0.3), (5, 0.3));
        tuning.Budgets.Should().BeEquivalentTo(new[]
        {
            new StrategyBudget(Strategy.Dynamic, 2, 6, 10, 30, 14),
            new StrategyBudget(Strategy.FixedTopN, 2, 6, 10, 30, 14),
        });

        var text = MarkdownRenderer.Render(ReportLayout.Build(report));
        text.Should().Contain("## Tuning history").And.Contain("come from the replicates alone")
            .And.Contain("| mobilenet_v2/dynamic | 3 | 2 | 1 | 5 | 15 | 66.7 % |");
        report.Figures.Should().Contain(f => f.FileName == "tuning-history.svg");
    }

    [Fact]
    public void A_sweep_that_only_pruned_compares_what_its_searches_completed()
    {
        var results = Sweep();
        var pruningOnly = results with { Plan = results.Plan! with { ReplicateSeeds = [] }, Trials = [.. results.Trials.Where(t => !t.Id.Contains("-r"))] };

        var report = SweepReportBuilder.Build(pruningOnly);

        report.Tuning!.OnReplicates.Should().BeFalse();
        report.Completed.Should().HaveCount(4);
        report.Incomplete.Should().HaveCount(8).And.OnlyContain(t => t.State == TrialStatus.Pruned);
    }
}
