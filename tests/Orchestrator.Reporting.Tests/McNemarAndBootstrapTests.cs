using Orchestrator.Domain.Metrics;
using Orchestrator.Reporting.Statistics;

namespace Orchestrator.Reporting.Tests;

public class McNemarTestTests
{
    [Fact]
    public void Agrees_with_R_mcnemar_test_and_binom_test()
    {
        foreach (var f in ReferenceFixtures.McNemars)
        {
            var r = McNemarTest.FromCounts(f.B, f.C);
            Significant.Agree(r.ChiSquare, f.ChiSquare, $"chi2 b={f.B} c={f.C}");
            Significant.Agree(r.ChiSquarePValue, f.ChiP, $"chi2 p b={f.B} c={f.C}");
            Significant.Agree(r.ExactPValue, f.ExactP, $"exact p b={f.B} c={f.C}");
        }
    }

    [Fact]
    public void Counts_discordant_pairs_from_predictions()
    {
        int[] labels = [0, 1, 2, 0, 1, 2, 0, 1];
        int[] first = [0, 1, 2, 1, 1, 0, 0, 2];  // right on 0,1,2,4,6
        int[] second = [0, 0, 2, 0, 0, 2, 1, 1]; // right on 0,2,3,5,7
        var r = McNemarTest.FromPredictions(labels, first, second);
        r.B.Should().Be(3);  // 1, 4, 6
        r.C.Should().Be(3);  // 3, 5, 7
        McNemarTest.FromCounts(0, 0).ExactPValue.Should().Be(1);
        FluentActions.Invoking(() => McNemarTest.FromPredictions(labels, first, [0])).Should().Throw<ArgumentException>();
    }
}

public class BootstrapCiTests
{
    private static (int[] Labels, int[] Predictions) Sample(int n, double accuracy, ulong seed)
    {
        var rng = new Orchestrator.Domain.Randomness.SplitMix64(seed);
        var labels = new int[n];
        var predictions = new int[n];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.NextInt(3);
            predictions[i] = rng.NextDouble() < accuracy ? labels[i] : (labels[i] + 1 + rng.NextInt(2)) % 3;
        }
        return (labels, predictions);
    }

    [Fact]
    public void The_interval_brackets_the_estimate_and_a_seed_fixes_it()
    {
        var (labels, predictions) = Sample(300, 0.8, 7);
        var a = BootstrapCi.Classification(labels, predictions, 3, resamples: 500, seed: 42);
        var b = BootstrapCi.Classification(labels, predictions, 3, resamples: 500, seed: 42);
        var c = BootstrapCi.Classification(labels, predictions, 3, resamples: 500, seed: 43);
        a.Should().BeEquivalentTo(b);
        a.Accuracy.Should().NotBe(c.Accuracy);
        var point = ClassificationMetrics.Compute(labels, predictions, 3);
        a.Accuracy.Estimate.Should().Be(point.Accuracy);
        a.MacroF1.Estimate.Should().Be(point.MacroF1);
        a.Accuracy.Lower.Should().BeLessThan(point.Accuracy).And.BeGreaterThan(0.7);
        a.Accuracy.Upper.Should().BeGreaterThan(point.Accuracy).And.BeLessThan(0.9);
        a.MacroF1.Lower.Should().BeLessThan(point.MacroF1);
        a.MacroF1.Upper.Should().BeGreaterThan(point.MacroF1);
        a.Resamples.Should().Be(500);
    }

    [Fact]
    public void The_accuracy_interval_is_near_the_binomial_normal_interval()
    {
        // For accuracy the bootstrap distribution is Binomial(n, acc) / n, so its 95% interval is close to
        // acc +- 1.96 sqrt(acc (1 - acc) / n).
        var (labels, predictions) = Sample(1000, 0.75, 3);
        var r = BootstrapCi.Classification(labels, predictions, 3, resamples: 2000, seed: 1);
        var acc = r.Accuracy.Estimate;
        var half = 1.96 * Math.Sqrt(acc * (1 - acc) / labels.Length);
        r.Accuracy.Lower.Should().BeApproximately(acc - half, 0.006);
        r.Accuracy.Upper.Should().BeApproximately(acc + half, 0.006);
    }

    [Fact]
    public void Perfect_predictions_have_a_degenerate_interval()
    {
        int[] labels = [0, 1, 2, 1, 0, 2, 1];
        var r = BootstrapCi.Classification(labels, labels, 3, resamples: 200, seed: 5);
        r.Accuracy.Should().Be(new Interval(1, 1, 1));
    }

    [Fact]
    public void Quantile_is_type_7()
    {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.5, 0.975]) -> 1.075, 2.5, 3.925
        double[] values = [4, 1, 3, 2];
        BootstrapCi.Quantile(values, 0.025).Should().BeApproximately(1.075, 1e-12);
        BootstrapCi.Quantile(values, 0.5).Should().BeApproximately(2.5, 1e-12);
        BootstrapCi.Quantile(values, 0.975).Should().BeApproximately(3.925, 1e-12);
    }

    [Fact]
    public void Bad_input_is_refused()
    {
        FluentActions.Invoking(() => BootstrapCi.Classification([], [], 3)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => BootstrapCi.Classification([0], [0], 3, resamples: 1)).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => BootstrapCi.Classification([0, 1], [0], 3)).Should().Throw<ArgumentException>();
    }
}
