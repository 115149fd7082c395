using System.Text.RegularExpressions;
using System.Xml.Linq;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Reports;
using Orchestrator.Reporting.Statistics;
using static Orchestrator.Reporting.Tests.Reports.TrialStreams;

namespace Orchestrator.Reporting.Tests.Reports;

public class SweepReportBuilderTests
{
    private const string A = "mobilenet_v2", B = "densenet121", C = "vgg16";
    private const Strategy Dyn = Strategy.Dynamic, Fix = Strategy.FixedTopN;

    private static readonly int[] All = [0, 0, 0, 1, 1, 2, 2, 2];   // 8/8
    private static readonly int[] Seven = [0, 0, 0, 1, 1, 2, 2, 0]; // 7/8, wrong: 7
    private static readonly int[] Six = [0, 0, 1, 1, 0, 2, 2, 2];   // 6/8, wrong: 2, 4
    private static readonly int[] Five = [0, 1, 1, 1, 0, 2, 2, 2];  // 5/8, wrong: 1, 2, 4
    private static readonly int[] Four = [1, 1, 0, 1, 0, 2, 0, 2];  // 4/8

    /// <summary>Three backbones, both strategies, fixed top-n candidates n = 1 and 2, seeds 1 and 2; on B and C
    /// some trials failed, run or wait; C's one result is from a journal without per-image fields.</summary>
    public static SweepResults Sweep() => new("sw-test", "test", "no-such-data", null,
    [
        Completed("t-a-dyn-1", Spec(A, Dyn, 1), 0.30, All),
        Completed("t-a-dyn-2", Spec(A, Dyn, 2), 0.32, Seven),
        Completed("t-a-n1-1", Spec(A, Fix, 1, 1), 0.50, All),
        Completed("t-a-n1-2", Spec(A, Fix, 2, 1), 0.52, All),
        Completed("t-a-n2-1", Spec(A, Fix, 1, 2), 0.40, Six),
        Completed("t-a-n2-2", Spec(A, Fix, 2, 2), 0.42, Five),
        Completed("t-b-dyn-1", Spec(B, Dyn, 1), 0.30, Seven),
        Failed("t-b-dyn-2", Spec(B, Dyn, 2), "engine error: out of memory"),
        Completed("t-b-n1-1", Spec(B, Fix, 1, 1), 0.45, Six),
        Running("t-b-n1-2", Spec(B, Fix, 2, 1), 2),
        Pending("t-b-n2-1", Spec(B, Fix, 1, 2)),
        Completed("t-b-n2-2", Spec(B, Fix, 2, 2), 0.41, Four),
        Completed("t-c-dyn-1", Spec(C, Dyn, 1), 0.35, Seven, withImages: false),
        Failed("t-c-n1-1", Spec(C, Fix, 1, 1), "checkpoint hash mismatch"),
    ]);

    private static readonly SweepReport Report = SweepReportBuilder.Build(Sweep());

    [Fact]
    public void Failed_running_and_pending_trials_are_listed_with_their_state_and_reason()
    {
        Report.TotalTrials.Should().Be(14);
        Report.Completed.Should().HaveCount(10);
        Report.Incomplete.Select(t => (t.TrialId, t.State)).Should().Equal(
            ("t-b-dyn-2", TrialStatus.Failed), ("t-b-n1-2", TrialStatus.Running), ("t-b-n2-1", TrialStatus.Pending), ("t-c-n1-1", TrialStatus.Failed));
        Report.Incomplete[0].Reason.Should().Be("engine error: out of memory");
        Report.Incomplete[1].Reason.Should().Contain("2 epoch(s)");
        Report.Incomplete[1].EpochsDone.Should().Be(2);
        Report.Incomplete[2].Reason.Should().Be("not started yet");
    }

    [Fact]
    public void A_diverged_trial_is_listed_with_its_reason_and_left_out_of_every_comparison()
    {
        var report = SweepReportBuilder.Build(new SweepResults("sw-div", "test", "no-such-data", null,
        [
            Completed("t-a-dyn-1", Spec(A, Dyn, 1), 0.30, All),
            Completed("t-a-dyn-2", Spec(A, Dyn, 2), 0.32, Seven),
            Completed("t-a-n1-1", Spec(A, Fix, 1, 1), 0.50, Six),
            Diverged("t-a-n1-2", Spec(A, Fix, 2, 1)),
            Completed("t-b-dyn-1", Spec(B, Dyn, 1), 0.30, Seven),
            Completed("t-b-n1-1", Spec(B, Fix, 1, 1), 0.45, Five),
        ]));

        report.Completed.Select(t => t.TrialId).Should().NotContain("t-a-n1-2");
        report.Incomplete.Should().ContainSingle().Which.Should().Match<IncompleteTrial>(t =>
            t.TrialId == "t-a-n1-2" && t.State == TrialStatus.Diverged && t.EpochsDone == 3
            && t.Reason == "diverged at epoch 3: train loss 1136 exceeds 20, 10 x 2 (the floor of the reference loss)");
        var accuracy = report.Paired.Single(p => p.Metric == "accuracy");
        accuracy.Blocks.Should().OnlyContain(b => !b.SecondTrials.Contains("t-a-n1-2") && !b.FirstTrials.Contains("t-a-n1-2"));
        accuracy.Blocks.Single(b => b.Backbone == A).Second.Should().Be(0.75, "fixed top-n on A is its one completed trial (6/8)");
        report.Rows.SelectMany(r => r.TrialIds).Should().NotContain("t-a-n1-2");
    }

    [Fact]
    public void Seeds_are_averaged_with_their_sample_sd_and_the_traditional_row_is_chosen_on_validation_not_test()
    {
        var rows = Report.Rows.Where(r => r.Backbone == A).ToList();
        rows.Select(r => (r.Variant, r.Role)).Should().Equal(
            ("dynamic", RowRole.Chosen), ("fixed-top-n n=2", RowRole.Chosen), ("fixed-top-n n=1", RowRole.Candidate));

        var dynamic = rows[0];
        dynamic.TrialIds.Should().Equal("t-a-dyn-1", "t-a-dyn-2");
        dynamic.Accuracy.Mean.Should().BeApproximately(0.9375, 1e-12);
        dynamic.Accuracy.Sd.Should().BeApproximately(0.0625 * Math.Sqrt(2), 1e-12);
        dynamic.Accuracy.N.Should().Be(2);
        dynamic.UnfrozenGroups.Mean.Should().Be(3, "dynamic reports the groups unfrozen at the end");
        dynamic.EpochsRun.Mean.Should().Be(3);
        dynamic.ModelBytes.Mean.Should().Be(1_500_000);
        dynamic.Ece.Should().NotBeNull();

        // n = 1 scored higher on test (8/8) but lost on validation loss (0.51 vs 0.41): it stays a candidate.
        rows[1].Accuracy.Mean.Should().BeApproximately((6 + 5) / 16.0, 1e-12);
        rows[1].UnfrozenGroups.Mean.Should().Be(2, "fixed top-n reports its n");
        rows[2].Accuracy.Mean.Should().Be(1);

        var b = Report.Rows.Where(r => r.Backbone == B && r.Strategy == Fix).ToList();
        b.Single(r => r.Role == RowRole.Chosen).TrialIds.Should().Equal("t-b-n2-2");
        b.Single(r => r.Role == RowRole.Chosen).Accuracy.Sd.Should().BeNull("one seed has no sd");
    }

    [Fact]
    public void Per_class_scores_balanced_accuracy_and_normalized_confusion_come_from_the_confusion_matrix()
    {
        var t = Report.Completed.Single(x => x.TrialId == "t-a-n2-1"); // Six: true 0 -> 0,0,1; true 1 -> 1,0; true 2 -> 2,2,2
        t.ClassNames.Should().Equal(Classes);
        t.Classes[0].Precision.Should().BeApproximately(2.0 / 3, 1e-12);
        t.Classes[0].Recall.Should().BeApproximately(2.0 / 3, 1e-12);
        t.Classes[1].Recall.Should().Be(0.5);
        t.Classes[2].F1.Should().Be(1);
        t.BalancedAccuracy.Should().BeApproximately((2.0 / 3 + 0.5 + 1) / 3, 1e-12);
        t.NormalizedConfusion[0].Should().Equal(2.0 / 3, 1.0 / 3, 0);
        t.Curve.Points.Select(p => p.Epoch).Should().Equal(1, 2, 3);
        t.Bootstrap!.Accuracy.Estimate.Should().Be(0.75);
        t.Calibration!.ExpectedCalibrationError.Should().BeApproximately(0.75 - 0.7, 1e-6, "every confidence is 0.7 and 6 of 8 are right");

        var dynamic = Report.Completed.Single(x => x.TrialId == "t-a-dyn-1");
        dynamic.Curve.Unfreezes.Select(u => (u.Epoch, u.From, u.To)).Should().Equal((1, 0, 1), (3, 1, 3));
    }

    [Fact]
    public void An_old_journal_without_per_image_fields_still_reports_but_has_no_ece_interval_or_mcnemar()
    {
        var t = Report.Completed.Single(x => x.TrialId == "t-c-dyn-1");
        t.Accuracy.Should().Be(7.0 / 8);
        t.ClassNames.Should().Equal("class 0", "class 1", "class 2");
        t.Calibration.Should().BeNull();
        t.Bootstrap.Should().BeNull();
    }

    [Fact]
    public void Paired_tests_use_backbones_with_both_strategies_and_name_those_left_out()
    {
        var accuracy = Report.Paired.Single(p => p.Metric == "accuracy");
        accuracy.Blocks.Select(b => (b.Backbone, b.First, b.Second)).Should().Equal((A, 0.9375, 0.6875), (B, 0.875, 0.5));
        accuracy.Blocks[0].FirstTrials.Should().Equal("t-a-dyn-1", "t-a-dyn-2");
        accuracy.LeftOut.Should().ContainSingle().Which.Should().Be($"{C} (no completed fixed-top-n trial)");

        // Differences 0.25 and 0.375: mean 0.3125, sd 0.125/sqrt 2, t = 0.3125 / (sd / sqrt 2) = 5 on 1 df.
        var t = accuracy.TTest.Result!;
        t.MeanDifference.Should().BeApproximately(0.3125, 1e-12);
        t.T.Should().BeApproximately(5, 1e-9);
        t.DegreesOfFreedom.Should().Be(1);
        accuracy.Wilcoxon.Result!.PValue.Should().Be(0.5, "both of 2 differences positive: exact two-sided p = 2 x 1/4");
    }

    [Fact]
    public void Friedman_ranks_every_strategy_variant_over_complete_backbones()
    {
        var f = Report.Friedman.Single(x => x.Metric == "accuracy");
        f.Treatments.Should().Equal("dynamic", "fixed-top-n n=1", "fixed-top-n n=2");
        f.Blocks.Should().Equal(A, B);
        f.LeftOut.Should().ContainSingle().Which.Should().Contain(C).And.Contain("fixed-top-n n=2");
        // A: 0.9375, 1, 0.6875 -> ranks 2, 3, 1; B: 0.875, 0.75, 0.5 -> 3, 2, 1.
        f.Test.Result!.AverageRanks.Should().Equal(2.5, 2.5, 1);
        Report.Figures.Should().Contain(x => x.FileName == "cd-accuracy.svg");
    }

    [Fact]
    public void McNemar_pairs_dynamic_and_traditional_by_seed_and_says_why_a_pair_is_missing()
    {
        var a = Report.McNemar.Where(m => m.Backbone == A).ToList();
        a.Select(m => (m.Seed, m.FirstTrial, m.SecondTrial, m.Test.Result!.B, m.Test.Result.C)).Should().Equal(
            (1, "t-a-dyn-1", "t-a-n2-1", 2, 0),
            (2, "t-a-dyn-2", "t-a-n2-2", 3, 1));
        Report.McNemar.Single(m => m.Backbone == B).Test.NotRun.Should().Be("no completed fixed-top-n trial with seed 1");
        Report.McNemar.Single(m => m.Backbone == C).Test.NotRun.Should().Be("no completed fixed-top-n trial");
    }

    [Fact]
    public void Figures_are_well_formed_svg_and_name_their_trials()
    {
        Report.Figures.Select(f => f.FileName).Should().BeEquivalentTo(
            "accuracy.svg", "macro-f1.svg",
            $"confusion-{A}-dynamic.svg", $"confusion-{A}-fixed-top-n.svg", $"confusion-{B}-dynamic.svg", $"confusion-{B}-fixed-top-n.svg", $"confusion-{C}-dynamic.svg",
            $"learning-{A}.svg", $"learning-{B}.svg", $"learning-{C}.svg", $"reliability-{A}.svg", $"reliability-{B}.svg",
            "cd-accuracy.svg", "cd-macro-f1.svg");
        foreach (var f in Report.Figures)
        {
            var svg = XDocument.Parse(f.Svg).Root!;
            svg.Name.LocalName.Should().Be("svg");
            svg.Attribute("viewBox")!.Value.Should().Be($"0 0 {f.Chart.Width} {f.Chart.Height}", f.FileName);
            SvgText.Texts(svg).Should().Contain(f.Title, f.FileName);
        }
        Report.Figures.Single(f => f.FileName == $"confusion-{A}-fixed-top-n.svg").Caption.Should().Contain("t-a-n2-1");
    }

    private static IReadOnlyList<string> Texts(string fileName) => SvgText.Texts(Report.Figures.Single(f => f.FileName == fileName).Svg);

    [Fact]
    public void The_bar_figures_show_each_chosen_mean_and_its_sd_over_seeds_per_backbone()
    {
        var texts = Texts("accuracy.svg");
        texts.Should().Contain(["test accuracy", "backbone", A, B, C, "dynamic", "traditional (fixed top-n)"]);
        // A: dynamic 8/8 and 7/8, traditional (n=2) 6/8 and 5/8, both with sample sd 0.0884; B and C one seed each; C has no traditional result.
        texts.Where(t => Regex.IsMatch(t, @"^\d\.\d{3}$")).Should().BeEquivalentTo("0.938", "0.688", "0.875", "0.500", "0.875");
        texts.Where(t => t.StartsWith('±')).Should().Equal("± 0.088", "± 0.088");
        texts.Count(t => t == "n/a").Should().Be(1);
        // Three dynamic and two traditional bars, and a legend swatch each.
        var svg = SvgText.Parse(Report.Figures.Single(f => f.FileName == "accuracy.svg").Svg);
        SvgText.FilledWith(svg, "#1F77B4").Should().Be(4);
        SvgText.FilledWith(svg, "#FF7F0E").Should().Be(3);

        var chosen = Report.Rows.Where(r => r.Role == RowRole.Chosen);
        Texts("macro-f1.svg").Where(t => Regex.IsMatch(t, @"^\d\.\d{3}$"))
            .Should().BeEquivalentTo(chosen.Select(r => r.MacroF1.Mean.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void A_confusion_figure_writes_each_row_normalized_cell_and_its_count()
    {
        // t-a-n2-1 predicts Normal as 2 Normal, 1 Pneumonia; Pneumonia as 1 and 1; all 3 COVID-19 right.
        var texts = Texts($"confusion-{A}-fixed-top-n.svg");
        texts.Where(t => Regex.IsMatch(t, @"^\d\.\d\d$")).Should().Equal("0.67", "0.33", "0.00", "0.50", "0.50", "0.00", "0.00", "0.00", "1.00");
        texts.Where(t => t.StartsWith('(')).Should().Equal("(2)", "(1)", "(0)", "(1)", "(1)", "(0)", "(0)", "(0)", "(3)");
        foreach (var name in Classes) texts.Count(t => t == name).Should().Be(2, $"{name} names a row and a column");
        texts.Should().Contain(["predicted class", "true class"]);
    }

    [Fact]
    public void A_learning_figure_draws_train_and_validation_loss_and_marks_unfreezes_and_restores()
    {
        var texts = Texts($"learning-{A}.svg");
        texts.Should().Contain(["epoch", "loss", "dynamic (t-a-dyn-1): validation", "dynamic (t-a-dyn-1): train",
            "traditional (fixed top-n) (t-a-n2-1): validation", "traditional (fixed top-n) (t-a-n2-1): train", "best weights restored"]);
        texts.Where(t => t.StartsWith("m ")).Should().Equal("m 0\u21921", "m 1\u21923");
        texts.Where(t => t.StartsWith("restore ")).Should().Equal("restore e1", "restore e2");
        // Three validation points per curve, drawn as circles, and one circle in the legend per curve.
        var svg = SvgText.Parse(Report.Figures.Single(f => f.FileName == $"learning-{A}.svg").Svg);
        SvgText.Elements(svg, "ellipse").Should().HaveCount(2 * 3 + 2);
        Texts($"learning-{C}.svg").Where(t => t.EndsWith(": validation")).Should().Equal("dynamic (t-c-dyn-1): validation");
    }

    [Fact]
    public void Reliability_and_critical_difference_figures_name_their_series_and_ranks()
    {
        var calibrated = Report.Rows.Where(r => r.Role == RowRole.Chosen && r.Backbone == A).ToArray();
        Texts($"reliability-{A}.svg").Should().Contain(["perfect calibration", "accuracy in bin", "mean confidence in bin (top-class probability)"])
            .And.Contain(calibrated.Select(r => $"{Figures.ReportFigures.StrategyName(r.Strategy)}, ECE {r.Representative.Calibration!.ExpectedCalibrationError:0.###}"));
        var cd = Report.Friedman.Single(f => f.Metric == "accuracy").Test.Result!;
        Texts("cd-accuracy.svg").Should().Contain(["dynamic (2.5)", "fixed-top-n n=1 (2.5)", "fixed-top-n n=2 (1)", "average rank (higher = better)"])
            .And.Contain(t => t.StartsWith($"CD = {cd.NemenyiCriticalDifference.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)}"));
    }

    [Fact]
    public void With_one_backbone_and_one_strategy_the_tests_say_why_they_did_not_run()
    {
        var report = SweepReportBuilder.Build(new SweepResults("sw-1", "one", "d", true,
            [Completed("t-1", Spec(A, Dyn, 1), 0.3, All), Completed("t-2", Spec(A, Dyn, 2), 0.3, Seven)]));
        report.Paired.Should().OnlyContain(p => p.TTest.NotRun!.Contains("does not run both dynamic and fixed-top-n"));
        report.Friedman.Should().OnlyContain(f => f.Test.NotRun!.Contains("at least 3 strategy variants"));
        report.McNemar.Should().BeEmpty();

        var twoStrategies = SweepReportBuilder.Build(new SweepResults("sw-2", "two", "d", true,
            [Completed("t-1", Spec(A, Dyn, 1), 0.3, All), Completed("t-2", Spec(A, Fix, 1, 1), 0.3, Seven)]));
        twoStrategies.Paired[0].TTest.NotRun.Should().Contain("at least 2 backbones").And.Contain("there are 1");
        twoStrategies.Paired[0].Wilcoxon.Result.Should().NotBeNull();
    }

    [Fact]
    public void A_sweep_with_no_result_yet_reports_its_trials_and_why_nothing_was_compared()
    {
        var report = SweepReportBuilder.Build(new SweepResults("sw", "x", "d", true,
            [Pending("t-1", Spec(A, Dyn, 1)), Running("t-2", Spec(A, Fix, 1, 1), 1)]));
        report.Completed.Should().BeEmpty();
        report.Rows.Should().BeEmpty();
        report.Figures.Should().BeEmpty();
        report.Incomplete.Should().HaveCount(2);
        report.Paired.Should().OnlyContain(p => p.LeftOut.Single() == $"{A} (no completed dynamic trial)" && p.TTest.NotRun != null && p.Wilcoxon.NotRun != null);
        report.McNemar.Single().Test.NotRun.Should().Be("no completed dynamic trial");
        Rendering.MarkdownRenderer.Render(Rendering.ReportLayout.Build(report)).Should().Contain("No trial has completed yet");
    }

    [Fact]
    public void The_journal_decides_over_the_store_row()
    {
        var finished = Completed("t-1", Spec(A, Dyn, 1), 0.3, All) with { State = TrialStatus.Running };
        var hollow = Running("t-2", Spec(A, Dyn, 2), 1) with { State = TrialStatus.Completed };
        var report = SweepReportBuilder.Build(new SweepResults("sw", "x", "d", null, [finished, hollow]));
        report.Completed.Select(t => t.TrialId).Should().Equal("t-1");
        report.Incomplete.Single().Reason.Should().Contain("no TrialCompleted");
    }
}
