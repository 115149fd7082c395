using Orchestrator.Domain.Metrics;

namespace Orchestrator.Domain.Tests.Metrics;

public class ClassificationMetricsTests
{
    private static readonly int[] Labels = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    private static readonly int[] Predictions = [0, 1, 0, 1, 2, 2, 2, 0, 2];

    [Fact]
    public void Matches_hand_computed_values()
    {
        var m = ClassificationMetrics.Compute(Labels, Predictions, 3);

        m.ConfusionMatrix.Should().BeEquivalentTo(new[] { new[] { 2, 1, 0 }, new[] { 0, 1, 1 }, new[] { 1, 0, 3 } },
            o => o.WithStrictOrdering());
        m.Accuracy.Should().BeApproximately(6.0 / 9, 1e-12);
        // F1 = 2TP / (2TP + FP + FN): class 0 4/6, class 1 2/4, class 2 6/8.
        m.MacroF1.Should().BeApproximately((4.0 / 6 + 2.0 / 4 + 6.0 / 8) / 3, 1e-12);
    }

    [Fact]
    public void A_class_neither_present_nor_predicted_counts_as_f1_zero()
    {
        var m = ClassificationMetrics.Compute(Labels, Predictions, 4);
        m.MacroF1.Should().BeApproximately((4.0 / 6 + 2.0 / 4 + 6.0 / 8 + 0) / 4, 1e-12);
        m.ConfusionMatrix[3].Should().Equal(0, 0, 0, 0);
    }

    [Fact]
    public void A_predicted_class_without_support_has_f1_zero()
    {
        var m = ClassificationMetrics.Compute([0, 0], [0, 1], 2);
        m.Accuracy.Should().Be(0.5);
        m.MacroF1.Should().BeApproximately((2.0 / 3 + 0) / 2, 1e-12);
    }

    [Fact]
    public void Perfect_predictions_score_one()
    {
        var m = ClassificationMetrics.Compute([0, 1, 2, 1], [0, 1, 2, 1], 3);
        m.Accuracy.Should().Be(1);
        m.MacroF1.Should().Be(1);
    }

    [Fact]
    public void Empty_input_scores_zero()
    {
        var m = ClassificationMetrics.Compute([], [], 2);
        m.Accuracy.Should().Be(0);
        m.MacroF1.Should().Be(0);
    }

    [Fact]
    public void Rejects_mismatched_or_out_of_range_input()
    {
        FluentActions.Invoking(() => ClassificationMetrics.Compute([0, 1], [0], 2)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => ClassificationMetrics.Compute([0, 2], [0, 1], 2)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => ClassificationMetrics.Compute([0, 1], [0, -1], 2)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
