using Orchestrator.Domain.Specs;
using Orchestrator.TestEngine;

namespace Orchestrator.Cli.Tests;

/// <summary>The test engine's configuration-dependent curve (<c>ORCHESTRATOR_TEST_ENGINE=curve:SECONDS</c>) that the
/// search benchmark runs: its values, the shape a search relies on, and how the variable is read.</summary>
public class ScriptedCurveTests
{
    private static readonly double[] Rates = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2];

    [Theory]
    [InlineData(Strategy.Dynamic, 1e-3, 1, 1.0)]
    [InlineData(Strategy.Dynamic, 1e-2, 4, 0.65)]  // 0.2 + 1/4 + 0.8/4
    [InlineData(Strategy.FixedTopN, 1e-4, 2, 0.6)]
    [InlineData(Strategy.FixedTopN, 1e-6, 8, 1.3)] // 0.2 + 4/4 + 0.1
    [InlineData(Strategy.Full, 3e-4, 8, 0.3)]
    [InlineData(Strategy.Gradual, 3e-3, 1, 1.25)]
    public void The_loss_is_the_squared_log_distance_to_the_strategys_best_rate_plus_a_falling_term(
        Strategy strategy, double learningRate, int epoch, double expected) =>
        ScriptedCurve.ValidationLoss(strategy, learningRate, epoch).Should().BeApproximately(expected, 1e-12);

    [Theory]
    [InlineData(Strategy.Dynamic, 1e-3)]
    [InlineData(Strategy.FixedTopN, 1e-4)]
    [InlineData(Strategy.TwoStage, 3e-4)]
    public void Every_configuration_improves_every_epoch_and_the_ranking_never_changes(Strategy strategy, double best)
    {
        foreach (var rate in Rates)
            Enumerable.Range(1, 30).Select(e => ScriptedCurve.ValidationLoss(strategy, rate, e))
                .Should().BeInDescendingOrder().And.OnlyHaveUniqueItems();
        for (var epoch = 1; epoch <= 30; epoch++)
            Rates.OrderBy(r => ScriptedCurve.ValidationLoss(strategy, r, epoch)).First().Should().Be(best, $"at epoch {epoch}");
    }

    [Fact]
    public void The_curve_script_sleeps_as_told_and_each_trial_gets_the_loss_of_its_own_configuration()
    {
        var script = EngineScript.Parse("curve:0.05");

        script.EpochTime.Should().Be(TimeSpan.FromSeconds(0.05));
        script.LossOf(Spec(Strategy.Dynamic, 1e-3))(2).Should().Be(ScriptedCurve.ValidationLoss(Strategy.Dynamic, 1e-3, 2));
        script.LossOf(Spec(Strategy.FixedTopN, 1e-3))(2).Should().Be(ScriptedCurve.ValidationLoss(Strategy.FixedTopN, 1e-3, 2))
            .And.BeGreaterThan(script.LossOf(Spec(Strategy.FixedTopN, 1e-4))(2));
        script.LossOf(Spec(Strategy.Dynamic, 1e-3))(0).Should().Be(double.NaN, "no epoch has run");
    }

    [Fact]
    public void The_sleep_script_still_gives_every_trial_the_same_losses_and_repeats_the_last()
    {
        var lossOf = EngineScript.Parse("sleep:0:0.9,0.5").LossOf(Spec(Strategy.Dynamic, 1e-3));
        Enumerable.Range(1, 3).Select(lossOf).Should().Equal(0.9, 0.5, 0.5);
        EngineScript.Parse("sleep:0:0.9,0.5").LossOf(Spec(Strategy.FixedTopN, 1e-5))(1).Should().Be(0.9);
    }

    [Theory]
    [InlineData("curve", "curve:SECONDS")]
    [InlineData("curve:", "curve:SECONDS")]
    [InlineData("curve:fast", "curve:SECONDS")]
    [InlineData("curve:-1", "curve:SECONDS")]
    [InlineData("curve:0.1:1,2", "curve:SECONDS")]
    [InlineData("sleep:0.1:1,x", "numbers separated by commas")]
    [InlineData("slope:0.1", "sleep:SECONDS[:LOSS,LOSS,...] or curve:SECONDS")]
    public void A_malformed_script_is_refused_with_the_forms_it_takes(string value, string mentions) =>
        FluentActions.Invoking(() => EngineScript.Parse(value)).Should().Throw<FormatException>()
            .WithMessage($"*ORCHESTRATOR_TEST_ENGINE='{value}'*{mentions}*");

    private static TrialSpec Spec(Strategy strategy, double learningRate) =>
        new("curve", "lightweight-cnn", strategy, learningRate, 3, 0, 0, 9, 0, 0, StopPolicy.PlateauAfterFullUnfreeze, 1,
            Optimizer.Adam, 16, 16, 1, new DataSpec("data", null));
}
