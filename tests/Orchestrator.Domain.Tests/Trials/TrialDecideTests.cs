using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using static Orchestrator.Domain.Tests.Trials.TrialDriver;

namespace Orchestrator.Domain.Tests.Trials;

public class TrialDecideTests
{
    private static EpochDecision DecideAfter(TrialSpec spec, int groups, double[] losses, double next) =>
        TrialDecider.Decide(Run(spec, groups, losses).State, Outcome(next));

    [Fact]
    public void An_improvement_saves_the_best_weights_then_the_checkpoint()
    {
        var d = DecideAfter(Spec(p: 2), 3, [1.0], 0.9);

        d.Should().Be(new EpochDecision(Completed(2, 0.9, 0.01, 0, 0), Improved: true, Unfreeze: null, StopReason: null));
        d.BestCheckpointName.Should().Be("best-e0002.pt");
        d.CheckpointName.Should().Be("epoch-e0002.pt");
        d.Effects().Should().Equal(new EpochEffect.SaveBest("best-e0002.pt"), new EpochEffect.SaveCheckpoint("epoch-e0002.pt", 2));
    }

    [Fact]
    public void No_improvement_before_the_plateau_only_saves_the_checkpoint()
    {
        var d = DecideAfter(Spec(p: 2), 3, [1.0], 1.0);

        d.Should().Be(new EpochDecision(Completed(2, 1.0, 0.01, 0, 1), Improved: false, Unfreeze: null, StopReason: null));
        d.BestCheckpointName.Should().BeNull();
        d.Effects().Should().Equal(new EpochEffect.SaveCheckpoint("epoch-e0002.pt", 2));
    }

    [Fact]
    public void A_plateau_with_groups_left_unfreezes_and_restores_the_best_weights()
    {
        var d = DecideAfter(Spec(p: 2, k: 2, decay: 0.1), 3, [1.0, 1.1], 1.2);
        var rate = 0.01 * (1 - 0.1);

        d.Should().Be(new EpochDecision(Completed(3, 1.2, 0.01, 0, 2), Improved: false,
            new GroupUnfreeze(From: 0, To: 2, rate, RestoreBestEpoch: 1), StopReason: null));
        d.Effects().Should().Equal(new EpochEffect.Unfreeze(2, rate), new EpochEffect.RestoreBest(1),
            new EpochEffect.SaveCheckpoint("epoch-e0003.pt", 3));
    }

    [Fact]
    public void Once_all_groups_are_unfrozen_a_plateau_stops_and_nothing_is_saved()
    {
        var run = Run(Spec(p: 1, k: 1), 1, [1.0, 1.1]);
        run.Decisions[1].Unfreeze.Should().Be(new GroupUnfreeze(0, 1, 0.01 * (1 - 0.1), 1));
        run.Decisions[1].StopReason.Should().BeNull("the plateau that unfreezes the last groups does not also stop");

        var d = TrialDecider.Decide(run.State, Outcome(1.2));

        d.Should().Be(new EpochDecision(Completed(3, 1.2, 0.01 * (1 - 0.1), 1, 1), Improved: false, Unfreeze: null,
            StopReason.PlateauAfterFullUnfreeze));
        d.Stops.Should().BeTrue();
        d.CheckpointName.Should().BeNull();
        d.Effects().Should().BeEmpty();
    }

    [Fact]
    public void The_epoch_budget_stops_after_saving_the_best_but_saves_no_checkpoint()
    {
        var d = DecideAfter(Spec(p: 2, n: 2), 3, [1.0], 0.9);

        d.Should().Be(new EpochDecision(Completed(2, 0.9, 0.01, 0, 0), Improved: true, Unfreeze: null, StopReason.EpochBudget));
        d.Effects().Should().Equal(new EpochEffect.SaveBest("best-e0002.pt"));
    }

    [Fact]
    public void An_unfreeze_in_the_last_epoch_of_the_budget_is_performed_before_the_stop()
    {
        var d = DecideAfter(Spec(p: 1, k: 1, n: 2), 3, [1.0], 1.1);

        d.Unfreeze.Should().Be(new GroupUnfreeze(0, 1, 0.01 * (1 - 0.1), 1));
        d.StopReason.Should().Be(StopReason.EpochBudget);
        d.Effects().Should().Equal(new EpochEffect.Unfreeze(1, 0.01 * (1 - 0.1)), new EpochEffect.RestoreBest(1));
    }

    [Fact]
    public void Algorithm_1_goes_on_into_another_round_while_groups_remain_frozen()
    {
        var spec = Spec(p: 5, k: 1, n: 3, stop: StopPolicy.Algorithm1, maxRounds: 2);

        DecideAfter(spec, 2, [1.0, 0.9], 0.8).StopReason.Should().BeNull("round 1 of 2 ended with m = 0 < L");
        DecideAfter(spec, 2, [1.0, 0.9, 0.8, 0.7, 0.6], 0.5).Should().Be(
            new EpochDecision(Completed(6, 0.5, 0.01, 0, 0), Improved: true, Unfreeze: null, StopReason.RoundLimit));
    }

    [Fact]
    public void Algorithm_1_only_looks_at_its_condition_when_a_round_ends()
    {
        var spec = Spec(p: 1, k: 1, n: 4, stop: StopPolicy.Algorithm1);

        // All groups trainable after epoch 2 and a plateau at epoch 3, but the round ends at epoch 4.
        DecideAfter(spec, 1, [1.0, 1.1], 1.2).Should().Be(
            new EpochDecision(Completed(3, 1.2, 0.01 * (1 - 0.1), 1, 1), Improved: false, Unfreeze: null, StopReason: null));
        DecideAfter(spec, 1, [1.0, 1.1, 1.2], 1.3).StopReason.Should().Be(StopReason.Algorithm1Complete);
    }

    [Fact]
    public void Algorithm_1_completes_at_the_end_of_the_round_whose_unfreeze_reached_L()
    {
        var d = DecideAfter(Spec(p: 1, k: 1, n: 2, stop: StopPolicy.Algorithm1), 1, [1.0], 1.1);

        d.Should().Be(new EpochDecision(Completed(2, 1.1, 0.01, 0, 1), Improved: false,
            new GroupUnfreeze(0, 1, 0.01 * (1 - 0.1), 1), StopReason.Algorithm1Complete));
        d.Effects().Should().Equal(new EpochEffect.Unfreeze(1, 0.01 * (1 - 0.1)), new EpochEffect.RestoreBest(1));
    }

    [Fact]
    public void Fixed_top_n_stops_early_on_a_plateau_and_never_unfreezes()
    {
        var d = DecideAfter(Spec(Strategy.FixedTopN, p: 2, topN: 2, k: 0, decay: 0), 4, [1.0, 1.1], 1.2);

        d.Should().Be(new EpochDecision(Completed(3, 1.2, 0.01, 2, 2), Improved: false, Unfreeze: null, StopReason.EarlyStopping));
        d.Effects().Should().BeEmpty();
    }

    [Fact]
    public void A_nan_loss_never_improves_it_diverges()
    {
        // Before divergence was a result, a NaN first epoch ended its phase on a plateau with no best to restore.
        var first = DecideAfter(Spec(p: 1, k: 1), 2, [], double.NaN);
        first.Should().Be(new EpochDecision(Completed(1, double.NaN, 0.01, 0, 1), Improved: false, Unfreeze: null, StopReason: null,
            Divergence: "train loss is NaN"));
        first.Effects().Should().BeEmpty();

        var later = DecideAfter(Spec(p: 3), 2, [1.0], double.NaN);
        later.Should().Be(new EpochDecision(Completed(2, double.NaN, 0.01, 0, 1), Improved: false, Unfreeze: null, StopReason: null,
            Divergence: "train loss is NaN"));
    }

    [Fact]
    public void A_decision_the_decider_never_makes_cannot_be_built()
    {
        var improving = Completed(2, 0.9, 0.01, 1, 0);
        var plateau = Completed(2, 1.1, 0.01, 1, 2);
        var nonsense = new Action[]
        {
            () => _ = new EpochDecision(improving, true, new GroupUnfreeze(1, 2, 0.009, 1), null),
            () => _ = new EpochDecision(Completed(2, double.NaN, 0.01, 1, 0), true, null, null),
            () => _ = new EpochDecision(plateau, true, null, null),
            () => _ = new EpochDecision(improving, false, null, null),
            () => _ = new EpochDecision(plateau, false, new GroupUnfreeze(0, 2, 0.009, 1), null),
            () => _ = new EpochDecision(plateau, false, new GroupUnfreeze(1, 2, 0.009, 2), null),
            () => _ = new EpochDecision(Completed(0, 1.1, 0.01, 1, 1), false, null, null),
            () => _ = new GroupUnfreeze(2, 2, 0.009, 1),
            () => _ = new GroupUnfreeze(-1, 2, 0.009, 1),
            () => _ = new GroupUnfreeze(1, 2, 0.009, -1),
        };
        foreach (var build in nonsense) build.Should().Throw<ArgumentException>();
    }
}
