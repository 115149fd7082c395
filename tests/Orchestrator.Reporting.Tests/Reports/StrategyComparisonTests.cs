using Orchestrator.Domain.Specs;
using Orchestrator.Reporting.Reports;
using Orchestrator.Reporting.Rendering;
using Orchestrator.Reporting.Statistics;
using static Orchestrator.Reporting.Tests.Reports.TrialStreams;

namespace Orchestrator.Reporting.Tests.Reports;

/// <summary>The k-strategy comparison, checked against R (StrategyReferenceFixtures, made by
/// Reference/strategy_fixtures.R), and a report of a sweep of five strategies on two backbones.</summary>
public class StrategyComparisonTests
{
    public static TheoryData<int> HolmCases => new(Enumerable.Range(0, StrategyReferenceFixtures.Holm.Length));
    public static TheoryData<int> SetCases => new(Enumerable.Range(0, StrategyReferenceFixtures.Sets.Length));

    [Theory]
    [MemberData(nameof(HolmCases))]
    public void Holm_agrees_with_R(int index)
    {
        var f = StrategyReferenceFixtures.Holm[index];
        var adjusted = HolmCorrection.Adjust(f.P);
        for (var i = 0; i < f.P.Length; i++) Significant.Agree(adjusted[i], f.Adjusted[i], $"{f.Name}: p[{i}]", digits: 9);
    }

    [Fact]
    public void Holm_refuses_what_is_not_a_p_value() =>
        FluentActions.Invoking(() => HolmCorrection.Adjust([0.1, 1.5])).Should().Throw<ArgumentException>();

    [Theory]
    [MemberData(nameof(SetCases))]
    public void The_k_strategy_statistics_agree_with_R(int index)
    {
        var f = StrategyReferenceFixtures.Sets[index];
        var strategies = f.Strategies.Select(s => SpecSpelling<Strategy>.TryParse(s, out var v) ? v : throw new ArgumentException(s)).ToArray();
        var backbones = f.Data.Select((_, b) => $"backbone-{b}").ToArray();
        var rows = backbones.SelectMany((b, i) => strategies.Select((s, j) => Row(b, s, f.Data[i][j]))).ToArray();

        var comparison = Comparisons.Strategies(rows, backbones, strategies, Strategy.Dynamic, 0.05)[0];

        comparison.Blocks.Should().Equal(backbones);
        var friedman = comparison.Friedman.Result!;
        Significant.Agree(friedman.ChiSquare, f.ChiSquare, "chi2", digits: 9);
        Significant.Agree(friedman.PValue, f.P, "Friedman p", digits: 8);
        comparison.AgainstReference.Select(p => p.Strategy).Should().Equal(strategies.Skip(1));
        for (var i = 0; i < f.WilcoxonP.Length; i++)
        {
            Significant.Agree(comparison.AgainstReference[i].Wilcoxon.Result!.PValue, f.WilcoxonP[i], $"Wilcoxon p of {f.Strategies[i + 1]}", digits: 8);
            Significant.Agree(comparison.AgainstReference[i].HolmPValue!.Value, f.HolmP[i], $"Holm p of {f.Strategies[i + 1]}", digits: 8);
        }
    }

    [Fact]
    public void Backbones_missing_a_strategy_are_left_out_and_named()
    {
        var strategies = new[] { Strategy.Dynamic, Strategy.Full, Strategy.LinearProbe };
        var rows = new[] { Row("a", Strategy.Dynamic, 0.8), Row("a", Strategy.Full, 0.7), Row("a", Strategy.LinearProbe, 0.6),
            Row("b", Strategy.Dynamic, 0.7), Row("b", Strategy.Full, 0.75), Row("b", Strategy.LinearProbe, 0.5),
            Row("c", Strategy.Dynamic, 0.7) };

        var comparison = Comparisons.Strategies(rows, ["a", "b", "c"], strategies, Strategy.Dynamic, 0.05)[0];

        comparison.Blocks.Should().Equal("a", "b");
        comparison.LeftOut.Should().Equal("c (no completed full, linear-probe)");
        comparison.Costs.Select(c => c.Accuracy).Should().Equal(0.75, 0.725, 0.55);
    }

    [Fact]
    public void A_report_of_five_strategies_on_two_backbones_has_the_k_strategy_statistics_the_cd_diagram_and_the_costs()
    {
        Strategy[] strategies = [Strategy.Dynamic, Strategy.FixedTopN, Strategy.Full, Strategy.LinearProbe, Strategy.TwoStage];
        int[][] predictions = [[0, 0, 0, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 2, 2, 0], [0, 0, 1, 1, 0, 2, 2, 2], [1, 1, 0, 1, 0, 2, 0, 2], [0, 1, 1, 1, 0, 2, 2, 2]];
        var trials = new[] { "mobilenet_v2", "resnet50" }.SelectMany((b, i) => strategies.Select((s, j) =>
            Completed($"t-{i}{j}", Spec(b, s, 1, s == Strategy.FixedTopN ? 2 : 0), 0.3 + 0.01 * j, predictions[(i + j) % 5]))).ToArray();

        var report = SweepReportBuilder.Build(new SweepResults("sw-k", "k", "no-such-data", null, trials));

        var accuracy = report.StrategyComparisons!.Single(c => c.Metric == "accuracy");
        accuracy.Strategies.Should().Equal(strategies);
        accuracy.Friedman.Result!.Blocks.Should().Be(2);
        accuracy.AgainstReference.Should().HaveCount(4).And.OnlyContain(p => p.HolmPValue >= p.Wilcoxon.Result!.PValue);
        accuracy.Costs.Should().OnlyContain(c => c.EpochsRun > 0 && c.WallSeconds > 0 && c.SecondsToBest > 0 && c.SecondsToBest <= c.WallSeconds);
        report.Figures.Select(f => f.FileName).Should().Contain(["cd-strategies-accuracy.svg", "cd-strategies-macro-f1.svg"]);

        var markdown = MarkdownRenderer.Render(ReportLayout.Build(report));
        markdown.Should().Contain("## The 5 strategies compared").And.Contain("| strategy - dynamic | V | n | p | Holm p |")
            .And.Contain("| strategy | average rank | accuracy | macro-F1 | epochs run | wall s | s to best |")
            .And.Contain("two-stage").And.Contain("linear-probe");
    }

    private static ResultRow Row(string backbone, Strategy strategy, double value)
    {
        var one = MeanSd.Of([value]);
        return new ResultRow(backbone, strategy, strategy.ToSpecString(), RowRole.Chosen, [], one, one, one, null, MeanSd.Of([0.0]),
            MeanSd.Of([2.0]), MeanSd.Of([5.0]), MeanSd.Of([0.3]), MeanSd.Of([1.0]), MeanSd.Of([0.1]), [], MeanSd.Of([10.0]), MeanSd.Of([4.0]));
    }
}
