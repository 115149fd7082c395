using Orchestrator.Domain.Metrics;

namespace Orchestrator.Domain.Tests.Metrics;

public class PerClassMetricsTests
{
    [Fact]
    public void Precision_recall_f1_and_balanced_accuracy_match_hand_computed_values()
    {
        // true 0: 3 right; true 1: 2 predicted as 0, 1 right.
        var m = PerClassMetrics.FromConfusion([[3, 0], [2, 1]]);

        m.Classes[0].Precision.Should().BeApproximately(3.0 / 5, 1e-12);
        m.Classes[0].Recall.Should().Be(1);
        m.Classes[0].F1.Should().BeApproximately(6.0 / 8, 1e-12);
        m.Classes[0].Support.Should().Be(3);
        m.Classes[1].Precision.Should().Be(1);
        m.Classes[1].Recall.Should().BeApproximately(1.0 / 3, 1e-12);
        m.Classes[1].F1.Should().BeApproximately(2.0 / 4, 1e-12);
        m.Classes[1].Support.Should().Be(3);
        m.BalancedAccuracy.Should().BeApproximately((1 + 1.0 / 3) / 2, 1e-12);
    }

    [Fact]
    public void F1_agrees_with_the_macro_f1_of_classification_metrics()
    {
        int[] labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predictions = [0, 1, 0, 1, 2, 2, 2, 0, 2];
        var overall = ClassificationMetrics.Compute(labels, predictions, 3);
        var m = PerClassMetrics.FromConfusion(overall.ConfusionMatrix);
        m.Classes.Average(c => c.F1).Should().BeApproximately(overall.MacroF1, 1e-12);
        m.BalancedAccuracy.Should().BeApproximately((2.0 / 3 + 1.0 / 2 + 3.0 / 4) / 3, 1e-12);
    }

    [Fact]
    public void An_absent_class_scores_zero_and_is_left_out_of_balanced_accuracy()
    {
        var m = PerClassMetrics.FromConfusion([[1, 0, 0], [0, 1, 0], [0, 0, 0]]);
        m.Classes[2].Should().Be(new ClassScores(0, 0, 0, 0));
        m.BalancedAccuracy.Should().Be(1);
    }

    [Fact]
    public void Rows_are_normalized_by_their_sum_and_an_empty_row_stays_zero()
    {
        var n = PerClassMetrics.RowNormalized([[3, 1], [0, 0]]);
        n[0].Should().Equal(0.75, 0.25);
        n[1].Should().Equal(0, 0);
    }

    [Fact]
    public void A_ragged_matrix_is_refused()
    {
        var act = () => PerClassMetrics.FromConfusion([[1, 0], [0]]);
        act.Should().Throw<ArgumentException>().WithMessage("*row 1*");
    }
}
