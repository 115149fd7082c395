using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Tests.Trials;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Strategies;

/// <summary>Each built-in strategy's journal, epoch by epoch, against its definition (docs/strategies.md, "Fine-tuning strategies").</summary>
public class BuiltInStrategyTests
{
    // Improves at epochs 1, 2 and 5, ties or worsens elsewhere: with p = 2, plateaus at epochs 4 and 7, 9, 11, ...
    private static readonly double[] Losses = [1.0, 0.9, 0.95, 0.95, 0.8, 0.85, 0.85, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9];

    private static TrialDriver Run(Strategy strategy, int groups = 3, int n = 30, Func<TrialSpec, TrialSpec>? tweak = null)
    {
        var spec = TrialDriver.Spec(strategy, lr: 0.01, p: 2, k: 1, n: n) with
        {
            Decay = 0, StageTwoRate = 0.1, UnfreezeEvery = 2, Discriminative = 2.6,
        };
        return TrialDriver.Run(tweak is null ? spec : tweak(spec), groups, Losses);
    }

    private static string[] Groups(TrialDriver run) =>
        [.. run.All.OfType<EpochCompleted>().Select(c => c.TrainableGroups!.ToString())];

    private static (int Epoch, string To, double Rate, bool Restores)[] Phases(TrialDriver run) =>
        [.. run.All.OfType<GroupsUnfrozen>().Select(u => (u.Epoch, u.TrainableGroups!.ToString(), u.LearningRate,
            run.All.OfType<BestWeightsRestored>().Any(r => r.Epoch == u.Epoch)))];

    [Fact]
    public void Full_trains_every_group_from_the_first_epoch_and_stops_early()
    {
        var run = Run(Strategy.Full);
        Groups(run).Should().Equal(Enumerable.Repeat("{0,1,2}", 4));
        Phases(run).Should().BeEmpty();
        run.State.StopReason.Should().Be(StopReason.EarlyStopping);
        run.Started.InitialUnfrozenGroups.Should().Be(3);
    }

    [Fact]
    public void Linear_probe_trains_the_head_alone_and_stops_early()
    {
        var run = Run(Strategy.LinearProbe);
        Groups(run).Should().Equal(Enumerable.Repeat("{}", 4));
        run.State.StopReason.Should().Be(StopReason.EarlyStopping);
    }

    [Fact]
    public void Two_stage_probes_until_a_plateau_then_trains_everything_at_a_tenth_of_the_rate()
    {
        var run = Run(Strategy.TwoStage);
        Groups(run).Should().Equal("{}", "{}", "{}", "{}", "{0,1,2}", "{0,1,2}", "{0,1,2}");
        Phases(run).Should().Equal((4, "{0,1,2}", 0.01 * 0.1, true));
        run.All.OfType<BestWeightsRestored>().Single().BestEpoch.Should().Be(2);
        run.All.OfType<EpochCompleted>().Skip(4).Should().AllSatisfy(c => c.LearningRate.Should().Be(0.001));
        run.State.StopReason.Should().Be(StopReason.PlateauAfterFullUnfreeze);
    }

    [Fact]
    public void Fixed_step_unfreezes_k_groups_every_few_epochs_whatever_validation_says()
    {
        var run = Run(Strategy.FixedStep, tweak: s => s with { Step = 2, UnfreezeEvery = 3 });
        Groups(run).Should().StartWith(["{}", "{}", "{}", "{1,2}", "{1,2}", "{1,2}", "{0,1,2}"]);
        Phases(run).Should().Equal((3, "{1,2}", 0.01, false), (6, "{0,1,2}", 0.01, false));
        run.State.StopReason.Should().Be(StopReason.PlateauAfterFullUnfreeze);
    }

    [Fact]
    public void Gradual_adds_one_group_an_epoch_with_discriminative_rates()
    {
        var run = Run(Strategy.Gradual, groups: 4);
        Groups(run).Should().StartWith(["{}", "{3}", "{2,3}", "{1,2,3}", "{0,1,2,3}", "{0,1,2,3}"]);
        Phases(run).Select(p => p.Epoch).Should().Equal(1, 2, 3, 4);
        Phases(run).Should().AllSatisfy(p => p.Restores.Should().BeFalse());
        run.Started.Schedule!.Phases.Should().AllSatisfy(p => p.Discriminative.Should().Be(2.6));
        run.State.StopReason.Should().Be(StopReason.PlateauAfterFullUnfreeze);
    }

    [Fact]
    public void Chain_thaw_trains_the_head_then_each_group_alone_shallowest_first_then_all()
    {
        var run = Run(Strategy.ChainThaw, groups: 2);
        Phases(run).Select(p => p.To).Should().Equal("{0}", "{1}", "{0,1}");
        Phases(run).Should().AllSatisfy(p => p.Restores.Should().BeTrue());
        Groups(run).Should().Equal("{}", "{}", "{}", "{}", "{0}", "{0}", "{0}", "{1}", "{1}", "{0,1}", "{0,1}");
        run.All.OfType<GroupsUnfrozen>().Select(u => (u.From, u.To)).Should().Equal((0, 1), (1, 1), (1, 2));
        run.State.StopReason.Should().Be(StopReason.PlateauAfterFullUnfreeze);
    }

    [Theory]
    [InlineData(Strategy.Full)]
    [InlineData(Strategy.LinearProbe)]
    [InlineData(Strategy.TwoStage)]
    [InlineData(Strategy.FixedStep)]
    [InlineData(Strategy.Gradual)]
    [InlineData(Strategy.ChainThaw)]
    public void Every_new_strategy_journals_its_schedule_and_groups_and_passes_the_audit(Strategy strategy)
    {
        var run = Run(strategy, groups: 5, n: 9);
        run.Started.Schedule.Should().Be(BuiltInSchedules.For(SpecFor(strategy), 5));
        run.All.OfType<EpochCompleted>().Should().AllSatisfy(c => c.TrainableGroups.Should().NotBeNull());
        run.State.EpochsDone.Should().BeLessThanOrEqualTo(9);
        TrialAudit.Violations(run.All).Should().BeEmpty();

        var stored = run.All.Select(EventCatalog.Serialize).ToList();
        stored.Select(s => EventCatalog.Deserialize(s.Type, s.Payload)).Should().Equal(run.All);
        stored[1].Payload.Should().Contain("\"trainableGroups\":[");
    }

    private static TrialSpec SpecFor(Strategy strategy) => TrialDriver.Spec(strategy, lr: 0.01, p: 2, k: 1, n: 9) with
    {
        Decay = 0, StageTwoRate = 0.1, UnfreezeEvery = 2, Discriminative = 2.6,
    };

    [Fact]
    public void Dynamic_and_fixed_top_n_keep_their_journals_free_of_schedules()
    {
        foreach (var strategy in new[] { Strategy.Dynamic, Strategy.FixedTopN })
        {
            var run = TrialDriver.Run(TrialDriver.Spec(strategy, p: 1, topN: 1), 3, Losses);
            run.Started.Schedule.Should().BeNull();
            run.All.OfType<EpochCompleted>().Should().AllSatisfy(c => c.TrainableGroups.Should().BeNull());
            run.All.OfType<GroupsUnfrozen>().Where(u => u.TrainableGroups is not null).Should().BeEmpty();
        }
    }

    [Fact]
    public void The_schedules_of_dynamic_and_fixed_top_n_are_algorithm_1_and_the_top_n_baseline()
    {
        BuiltInSchedules.Dynamic(5, 3, 2, 0.25, StopPolicy.PlateauAfterFullUnfreeze).Phases.Select(p => p.Trains.ToString())
            .Should().Equal("{}", "{3,4}", "{1,2,3,4}", "{0,1,2,3,4}");
        BuiltInSchedules.Dynamic(5, 3, 2, 0.25, StopPolicy.Algorithm1).Stop.Should().Be(ScheduleStop.Algorithm1Rounds);
        BuiltInSchedules.Dynamic(5, 3, 2, 0.25, StopPolicy.Algorithm1).Phases.Skip(1)
            .Should().AllSatisfy(p => (p.RateFactor, p.RestoreBest, p.End).Should().Be((0.75, true, PhaseEnd.Plateau(3))));
        BuiltInSchedules.FixedTopN(5, 9, 4).Phases.Should().Equal(new SchedulePhase(GroupSet.All(5), PhaseEnd.Plateau(4)));
    }
}
