using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Specs;

/// <summary>cluster-config/sweeps/strategies.yaml: the seven backbones under every built-in strategy.</summary>
public class StrategiesSpecTests
{
    private static SweepSpec Load() => ShippedSpecTests.Load("strategies.yaml");

    [Fact]
    public void The_strategies_spec_runs_every_built_in_strategy_on_the_seven_backbones()
    {
        var spec = Load();

        spec.Backbones.Should().Equal(Backbones.Paper);
        var builtIn = Enum.GetValues<Strategy>().Where(s => s != Strategy.Custom).ToArray();
        spec.Strategies.Should().Equal(builtIn);
        var trials = SweepGrid.Expand(spec);
        // fixed-top-n has one trial per candidate n, every other strategy one per backbone.
        trials.Should().HaveCount(7 * (builtIn.Length - 1 + spec.Hyperparameters.FixedTopN.Count));
        trials.Select(t => t.Id).Should().OnlyHaveUniqueItems();
        foreach (var trial in trials)
            TrialDecider.Start(trial.Spec, 8).Should().NotBeNull();
    }

    [Fact]
    public void Each_strategy_keeps_only_its_own_knobs_in_its_trials()
    {
        var trials = SweepGrid.Expand(Load()).Select(t => t.Spec).ToList();

        trials.Where(t => t.Strategy == Strategy.Gradual).Should().OnlyContain(t =>
            t.Discriminative == BuiltInSchedules.DefaultDiscriminative && t.Step == 0 && t.Decay == 0 && t.StageTwoRate == 0);
        trials.Where(t => t.Strategy == Strategy.TwoStage).Should().OnlyContain(t => t.StageTwoRate == 0.1 && t.UnfreezeEvery == 0);
        trials.Where(t => t.Strategy == Strategy.FixedStep).Should().OnlyContain(t => t.Step == 3 && t.UnfreezeEvery == 5);
        trials.Where(t => t.Strategy is Strategy.Full or Strategy.LinearProbe or Strategy.ChainThaw).Should().OnlyContain(t =>
            t.Step == 0 && t.Decay == 0 && t.FixedTopN == 0 && t.UnfreezeEvery == 0 && t.StageTwoRate == 0 && t.Discriminative == 0);
        TrialSpecJson.Canonical(trials.First(t => t.Strategy == Strategy.Gradual)).Should().Contain("\"discriminative\":2.6");
        TrialSpecJson.Canonical(trials.First(t => t.Strategy == Strategy.Dynamic)).Should().NotContain("discriminative")
            .And.NotContain("stageTwoRate").And.NotContain("unfreezeEvery");
    }
}
