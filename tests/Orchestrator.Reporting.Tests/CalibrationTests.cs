using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Tests;

public class CalibrationTests
{
    private static readonly int[] Labels = [0, 1, 1, 0];

    // Top class and confidence: 0 at 0.9 (right), 0 at 0.6 (wrong), 1 at 0.8 (right), 1 at 0.55 (wrong).
    private static readonly float[][] Probabilities = [[0.9f, 0.1f], [0.6f, 0.4f], [0.2f, 0.8f], [0.45f, 0.55f]];

    [Fact]
    public void Ece_over_five_bins_matches_the_hand_computed_value()
    {
        var r = Calibration.Compute(Labels, Probabilities, bins: 5);

        // [0.8, 1]: 0.9 and 0.8, both right: |1 - 0.85| x 2/4; [0.6, 0.8): 0.6 wrong: 0.6 x 1/4; [0.4, 0.6): 0.55 wrong: 0.55 x 1/4.
        r.ExpectedCalibrationError.Should().BeApproximately(0.075 + 0.15 + 0.1375, 1e-6);
        r.Bins.Select(b => b.Count).Should().Equal(0, 0, 1, 1, 2);
        r.Bins[4].Accuracy.Should().Be(1);
        r.Bins[4].MeanConfidence.Should().BeApproximately(0.85, 1e-6);
        r.Bins[2].Lower.Should().Be(0.4);
        r.Samples.Should().Be(4);
    }

    [Fact]
    public void Ece_in_one_coarse_bin_is_the_gap_between_accuracy_and_mean_confidence()
    {
        var r = Calibration.Compute(Labels, Probabilities, bins: 2);
        r.ExpectedCalibrationError.Should().BeApproximately(Math.Abs(0.5 - 2.85 / 4), 1e-6);
        r.Bins[0].Count.Should().Be(0);
    }

    [Fact]
    public void Confidence_one_falls_in_the_last_bin_and_a_tie_predicts_the_first_class()
    {
        var r = Calibration.Compute([0, 0], [[1f, 0f], [0.5f, 0.5f]], bins: 15);
        r.Bins[^1].Count.Should().Be(1);
        r.Bins[7].Count.Should().Be(1, "0.5 x 15 = 7.5 falls in bin 7");
        r.Bins[7].Accuracy.Should().Be(1, "on a tie the first class is the prediction, and it is right");
        r.ExpectedCalibrationError.Should().BeApproximately(0.5 * 0.5, 1e-9);
    }

    [Fact]
    public void A_perfectly_confident_right_classifier_has_zero_ece()
    {
        Calibration.Compute([0, 1], [[1f, 0f], [0f, 1f]]).ExpectedCalibrationError.Should().Be(0);
    }

    [Fact]
    public void Mismatched_or_empty_input_is_refused()
    {
        ((Action)(() => Calibration.Compute([0], Probabilities))).Should().Throw<ArgumentException>().WithMessage("*1 labels but 4*");
        ((Action)(() => Calibration.Compute([], []))).Should().Throw<ArgumentException>();
        ((Action)(() => Calibration.Compute([0], [[1.5f, 0f]]))).Should().Throw<ArgumentException>().WithMessage("*not in [0, 1]*");
    }
}
