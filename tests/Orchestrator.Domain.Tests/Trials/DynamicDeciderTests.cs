using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using static Orchestrator.Domain.Tests.Trials.TrialDriver;

namespace Orchestrator.Domain.Tests.Trials;

public class DynamicDeciderTests
{
    [Fact]
    public void Start_begins_with_everything_frozen()
    {
        var started = TrialDecider.Start(Spec(lr: 0.02, p: 3, k: 2, decay: 0.2, n: 50, minDelta: 0.01, maxRounds: 4, seed: 9), 7);

        started.Should().Be(new TrialStarted(Strategy.Dynamic, "lightweight-cnn", 7, 0.02, 3, 2, 0.2, 50, 0,
            StopPolicy.PlateauAfterFullUnfreeze, 0.01, 9, 4));
        var state = TrialEvolution.Evolve(TrialState.Initial, started);
        state.Phase.Should().Be(TrialPhase.Training);
        state.UnfrozenGroups.Should().Be(0);
        state.LearningRate.Should().Be(0.02);
        state.BestEpoch.Should().Be(0);
        state.BestValLoss.Should().Be(double.PositiveInfinity);
        state.MaxRounds.Should().Be(4);
    }

    [Fact]
    public void Unfreezes_after_p_epochs_without_improvement_and_stops_on_a_plateau_once_all_groups_are_trainable()
    {
        // L = 3, p = 2, k = 2, decay 0.1.
        var d = Run(Spec(lr: 0.01, p: 2, k: 2, decay: 0.1), 3, []);
        var lr1 = 0.01 * (1 - 0.1);
        var lr2 = lr1 * (1 - 0.1);

        d.Step(1.0).Should().Equal(Completed(1, 1.0, 0.01, 0, 0), Best(1, 1.0), Checkpoint(1));
        d.Step(0.9).Should().Equal(Completed(2, 0.9, 0.01, 0, 0), Best(2, 0.9), Checkpoint(2));
        d.Step(0.95).Should().Equal(Completed(3, 0.95, 0.01, 0, 1), Checkpoint(3));
        d.State.PatienceCounter.Should().Be(1);
        // A tie with the best is not an improvement: second epoch without one, so unfreeze 0 -> min(0 + 2, 3) = 2.
        d.Step(0.9).Should().Equal(Completed(4, 0.9, 0.01, 0, 2), new GroupsUnfrozen(4, 0, 2, lr1),
            new BestWeightsRestored(4, 2), Checkpoint(4));
        d.State.Should().Match<TrialState>(s => s.UnfrozenGroups == 2 && s.PatienceCounter == 0 && s.LearningRate == lr1
            && s.BestEpoch == 2 && s.LastRestoreEpoch == 4);
        d.Step(0.8).Should().Equal(Completed(5, 0.8, lr1, 2, 0), Best(5, 0.8), Checkpoint(5));
        d.Step(0.85).Should().Equal(Completed(6, 0.85, lr1, 2, 1), Checkpoint(6));
        // 2 -> min(2 + 2, 3) = 3.
        d.Step(0.85).Should().Equal(Completed(7, 0.85, lr1, 2, 2), new GroupsUnfrozen(7, 2, 3, lr2),
            new BestWeightsRestored(7, 5), Checkpoint(7));
        d.Step(0.79).Should().Equal(Completed(8, 0.79, lr2, 3, 0), Best(8, 0.79), Checkpoint(8));
        d.Step(0.8).Should().Equal(Completed(9, 0.8, lr2, 3, 1), Checkpoint(9));
        d.Step(0.8).Should().Equal(Completed(10, 0.8, lr2, 3, 2), new TrainingStopped(10, StopReason.PlateauAfterFullUnfreeze));

        d.State.Should().Match<TrialState>(s => s.Phase == TrialPhase.Stopped && s.StopReason == StopReason.PlateauAfterFullUnfreeze
            && s.BestEpoch == 8 && s.BestValLoss == 0.79 && s.BestCheckpoint == "best-e0008.pt" && s.EpochsDone == 10);
        TrialEvolution.Replay(d.All).Should().Be(d.State);
        var act = () => TrialDecider.Decide(d.State, Outcome(0.1));
        act.Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void Restores_the_earliest_of_equal_best_losses()
    {
        var d = Run(Spec(p: 2, k: 1), 2, [0.5, 0.5, 0.5]);
        d.Epochs[1].Should().Equal(Completed(2, 0.5, 0.01, 0, 1), Checkpoint(2));
        d.Epochs[2].Should().Equal(Completed(3, 0.5, 0.01, 0, 2), new GroupsUnfrozen(3, 0, 1, 0.01 * 0.9),
            new BestWeightsRestored(3, 1), Checkpoint(3));
        d.State.BestEpoch.Should().Be(1);
    }

    [Fact]
    public void An_improvement_must_beat_the_best_by_more_than_min_delta()
    {
        var d = Run(Spec(p: 3, minDelta: 0.05), 2, [1.0, 0.96, 0.95, 0.94]);

        d.Epochs[0].Should().Equal(Completed(1, 1.0, 0.01, 0, 0), Best(1, 1.0), Checkpoint(1));
        d.Epochs[1].Should().Equal(Completed(2, 0.96, 0.01, 0, 1), Checkpoint(2));
        d.Epochs[2].Should().Equal(Completed(3, 0.95, 0.01, 0, 2), Checkpoint(3)); // a gain of exactly min_delta is not enough
        d.Epochs[3].Should().Equal(Completed(4, 0.94, 0.01, 0, 0), Best(4, 0.94), Checkpoint(4));
    }

    [Fact]
    public void The_epoch_budget_stops_the_default_policy()
    {
        var d = Run(Spec(p: 2, n: 4), 3, [1.0, 0.9, 0.8, 0.7, 0.6]);
        d.Epochs.Should().HaveCount(4);
        d.Epochs[3].Should().Equal(Completed(4, 0.7, 0.01, 0, 0), Best(4, 0.7), new TrainingStopped(4, StopReason.EpochBudget));
    }

    [Fact]
    public void An_unfreeze_in_the_last_epoch_of_the_budget_comes_before_the_stop()
    {
        var d = Run(Spec(p: 1, k: 1, n: 2), 3, [1.0, 1.1]);
        d.Epochs[1].Should().Equal(Completed(2, 1.1, 0.01, 0, 1), new GroupsUnfrozen(2, 0, 1, 0.01 * 0.9),
            new BestWeightsRestored(2, 1), new TrainingStopped(2, StopReason.EpochBudget));
    }

    [Fact]
    public void The_plateau_that_unfreezes_the_last_groups_does_not_also_stop()
    {
        var d = Run(Spec(p: 1, k: 5), 2, [1.0, 1.1, 1.2]);
        d.Epochs[1].Should().Equal(Completed(2, 1.1, 0.01, 0, 1), new GroupsUnfrozen(2, 0, 2, 0.01 * 0.9),
            new BestWeightsRestored(2, 1), Checkpoint(2));
        d.Epochs[2].Should().Equal(Completed(3, 1.2, 0.01 * 0.9, 2, 1), new TrainingStopped(3, StopReason.PlateauAfterFullUnfreeze));
    }

    [Fact]
    public void Algorithm_1_runs_whole_rounds_of_n_epochs_while_groups_remain_frozen()
    {
        // L = 3, k = 1, p = 1, n = 3: every non-improving epoch unfreezes one group.
        var d = Run(Spec(p: 1, k: 1, n: 3, stop: StopPolicy.Algorithm1), 3, [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6]);
        var lr = new[] { 0.01, 0.01 * 0.9, 0.01 * 0.9 * 0.9, 0.01 * 0.9 * 0.9 * 0.9 };

        d.Epochs.Should().HaveCount(6);
        d.Epochs[0].Should().Equal(Completed(1, 1.0, lr[0], 0, 0), Best(1, 1.0), Checkpoint(1));
        d.Epochs[1].Should().Equal(Completed(2, 1.1, lr[0], 0, 1), new GroupsUnfrozen(2, 0, 1, lr[1]),
            new BestWeightsRestored(2, 1), Checkpoint(2));
        // End of round 1 with m = 2 < L: a second round follows.
        d.Epochs[2].Should().Equal(Completed(3, 1.2, lr[1], 1, 1), new GroupsUnfrozen(3, 1, 2, lr[2]),
            new BestWeightsRestored(3, 1), Checkpoint(3));
        d.Epochs[3].Should().Equal(Completed(4, 1.3, lr[2], 2, 1), new GroupsUnfrozen(4, 2, 3, lr[3]),
            new BestWeightsRestored(4, 1), Checkpoint(4));
        // All groups trainable, patience reached, but the round is not over: training goes on.
        d.Epochs[4].Should().Equal(Completed(5, 1.4, lr[3], 3, 1), Checkpoint(5));
        d.Epochs[5].Should().Equal(Completed(6, 1.5, lr[3], 3, 2), new TrainingStopped(6, StopReason.Algorithm1Complete));
    }

    [Fact]
    public void Algorithm_1_stops_at_the_end_of_the_round_whose_unfreeze_reached_L()
    {
        var d = Run(Spec(p: 1, k: 1, n: 2, stop: StopPolicy.Algorithm1), 1, [1.0, 1.1, 1.2]);
        d.Epochs.Should().HaveCount(2);
        d.Epochs[1].Should().Equal(Completed(2, 1.1, 0.01, 0, 1), new GroupsUnfrozen(2, 0, 1, 0.01 * 0.9),
            new BestWeightsRestored(2, 1), new TrainingStopped(2, StopReason.Algorithm1Complete));
    }

    [Fact]
    public void Algorithm_1_gives_up_after_max_rounds()
    {
        var d = Run(Spec(p: 5, k: 1, n: 3, stop: StopPolicy.Algorithm1, maxRounds: 2), 10, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]);
        d.Epochs.Should().HaveCount(6);
        d.Epochs[2].Should().Equal(Completed(3, 0.8, 0.01, 0, 0), Best(3, 0.8), Checkpoint(3));
        d.Epochs[5].Should().Equal(Completed(6, 0.5, 0.01, 0, 0), Best(6, 0.5), new TrainingStopped(6, StopReason.RoundLimit));
        d.State.StopReason.Should().Be(StopReason.RoundLimit);
        d.State.UnfrozenGroups.Should().Be(0);
    }

    [Fact]
    public void A_first_epoch_with_no_loss_diverges_rather_than_unfreezing_with_no_best_to_restore()
    {
        var d = Run(Spec(p: 1, k: 1), 2, [double.NaN, 1.0]);
        d.Epochs.Should().ContainSingle().Which.Should().Equal(Completed(1, double.NaN, 0.01, 0, 1),
            new Orchestrator.Domain.Events.TrialDiverged(1, "train loss is NaN"));
    }

    [Fact]
    public void Deciding_before_the_start_is_an_error()
    {
        var act = () => TrialDecider.Decide(TrialState.Initial, Outcome(1));
        act.Should().Throw<InvalidOperationException>();
    }
}
