using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using static Orchestrator.Domain.Tests.Trials.TrialDriver;

namespace Orchestrator.Domain.Tests.Trials;

public class DivergenceTests
{
    private static EpochOutcome Losses(double train, double val) => new(train, val, 0.5, 0.4, 1.0);

    /// <summary>A dynamic trial (p = 2, k = 1, L = 3, 20 epochs) whose first epochs train as the demo's did
    /// (losses near ln 3), then the epochs of <paramref name="then"/>.</summary>
    private static TrialDriver Trial(params EpochOutcome[] then)
    {
        var run = Run(Spec(p: 2, k: 1, n: 20), 3, []);
        foreach (var outcome in new[] { Losses(1.1, 0.9), Losses(0.8, 0.7) }.Concat(then))
        {
            if (run.State.Phase != TrialPhase.Training) break;
            run.Step(outcome);
        }
        return run;
    }

    // ---- the rule ----

    [Theory]
    [InlineData(double.NaN, 0.5, "train loss is NaN")]
    [InlineData(0.5, double.NaN, "val loss is NaN")]
    [InlineData(double.PositiveInfinity, 0.5, "train loss is infinite")]
    [InlineData(0.5, double.NegativeInfinity, "val loss is infinite")]
    public void A_loss_that_is_not_finite_diverges_whatever_the_reference(double train, double val, string reason) =>
        Divergence.Reason(train, val, firstEpochLoss: 1.1).Should().Be(reason);

    [Fact]
    public void The_demo_blow_up_diverges_and_the_reason_names_the_loss_and_the_bound()
    {
        Divergence.Reason(1136, 8424, firstEpochLoss: 1.1).Should().Be("train loss 1136 exceeds 20, 10 x 2 (the floor of the reference loss)");
        Divergence.Reason(0.9, 8424, firstEpochLoss: 1.1).Should().Be("val loss 8424 exceeds 20, 10 x 2 (the floor of the reference loss)");
    }

    [Fact]
    public void The_bound_is_ten_times_the_first_epochs_larger_loss_once_that_exceeds_the_floor()
    {
        Divergence.Reference(5).Should().Be(5);
        Divergence.Reason(3, 49.9, firstEpochLoss: 5).Should().BeNull();
        Divergence.Reason(3, 50.1, firstEpochLoss: 5).Should().Be("val loss 50.1 exceeds 50, 10 x the first epoch's loss 5");
        Divergence.FirstEpochLoss(5, 2).Should().Be(5);
        Divergence.FirstEpochLoss(double.NaN, 2).Should().Be(2, "a loss that is not finite is no scale");
    }

    [Fact]
    public void An_easy_task_whose_first_epoch_is_nearly_perfect_may_over_fit_by_far_more_than_ten_times_without_diverging()
    {
        // A first epoch at 0.05 would bound an over-fitting val loss of 0.6 at 0.5 without the floor.
        Divergence.Reference(0.05).Should().Be(Divergence.MinReference);
        Divergence.Reason(0.01, 0.6, firstEpochLoss: 0.05).Should().BeNull();
        Divergence.Reason(0.01, 19.9, firstEpochLoss: 0).Should().BeNull("the first epoch is held to the floor alone");
    }

    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 200));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Ordinary_noisy_training_never_diverges(int seed)
    {
        // The train loss falls from about ln C with noise; the val loss falls, then over-fits up to 4 times its best,
        // with a spike after each unfreeze (a higher effective rate) of up to 3 times the current level.
        var rng = new Random(seed);
        var classes = new[] { 2, 3, 10, 100, 1000 }[rng.Next(5)];
        var start = Math.Log(classes) * (0.8 + 0.6 * rng.NextDouble());
        var run = Run(Spec(p: rng.Next(1, 4), k: rng.Next(1, 3), n: 60), rng.Next(1, 6), []);
        var best = start;
        for (var epoch = 1; epoch <= 60 && run.State.Phase == TrialPhase.Training; epoch++)
        {
            var train = start * Math.Exp(-0.08 * epoch) * (0.8 + 0.4 * rng.NextDouble());
            var val = epoch < 20 ? start * Math.Exp(-0.06 * epoch) * (0.7 + 0.6 * rng.NextDouble()) : best * (1 + 3 * rng.NextDouble());
            best = Math.Min(best, val);
            var spike = run.All.LastOrDefault() is GroupsUnfrozen or BestWeightsRestored ? 1 + 2 * rng.NextDouble() : 1;
            run.Step(Losses(train * spike, val * spike));
        }

        run.State.Phase.Should().NotBe(TrialPhase.Diverged);
        run.All.OfType<TrialDiverged>().Should().BeEmpty();
        TrialAudit.Violations(run.All).Should().BeEmpty();
    }

    // ---- the decider, the events and the state ----

    [Fact]
    public void A_val_loss_that_blows_up_ends_the_trial_diverged_saving_nothing_and_journaling_why()
    {
        var run = Trial(Losses(1136, 8424));

        var decision = run.Decisions[^1];
        decision.Diverges.Should().BeTrue();
        (decision.Improved, decision.Unfreeze, decision.StopReason, decision.CheckpointName).Should().Be((false, (GroupUnfreeze?)null, (StopReason?)null, (string?)null));
        decision.Effects().Should().BeEmpty("weights that blew up are neither the best nor worth resuming");
        run.Epochs[^1].Should().Equal(
            new EpochCompleted(3, 1136, 8424, 0.5, 0.4, 0.01, 0, 1, 1.0),
            new TrialDiverged(3, "train loss 1136 exceeds 20, 10 x 2 (the floor of the reference loss)"));
        run.State.Phase.Should().Be(TrialPhase.Diverged);
        run.State.End.Should().Be(TrialEnd.Diverged);
        run.State.IsTerminal.Should().BeTrue();
        run.State.Divergence.Should().Be(run.Epochs[^1][^1]);
        (run.State.BestEpoch, run.State.BestCheckpoint).Should().Be((2, CheckpointNames.Best(0, 2)), "the weights before the blow-up stay the best");
        run.All.OfType<TrainingStopped>().Should().BeEmpty();
        FluentActions.Invoking(() => TrialDecider.Decide(run.State, Losses(0.5, 0.5))).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public void A_nan_loss_in_the_first_epoch_ends_the_trial_diverged_with_no_best_weights()
    {
        var run = Run(Spec(p: 2, n: 20), 3, []);
        run.Step(Losses(double.NaN, double.NaN));

        run.All.Last().Should().Be(new TrialDiverged(1, "train loss is NaN"));
        (run.State.Phase, run.State.BestEpoch, run.State.BestCheckpoint).Should().Be((TrialPhase.Diverged, 0, (string?)null));
    }

    [Fact]
    public void An_epoch_whose_val_loss_improves_while_its_train_loss_is_nan_is_no_improvement()
    {
        var run = Trial(Losses(double.NaN, 0.1));

        run.Decisions[^1].Improved.Should().BeFalse();
        run.All.OfType<BestImproved>().Should().NotContain(b => b.Epoch == 3);
        run.All.Last().Should().Be(new TrialDiverged(3, "train loss is NaN"));
    }

    [Fact]
    public void A_decision_that_diverges_cannot_also_improve_begin_a_phase_or_stop()
    {
        var completed = Completed(3, 0.1, 0.01, 0, 0);
        FluentActions.Invoking(() => new EpochDecision(completed, true, null, null, "val loss is NaN")).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => new EpochDecision(completed with { PatienceCounter = 1 }, false, null, StopReason.EpochBudget, "val loss is NaN"))
            .Should().Throw<ArgumentException>();
    }

    [Fact]
    public void The_first_epochs_loss_is_folded_once_and_a_fresh_start_forgets_it()
    {
        var run = Trial(Losses(0.5, 0.6));

        run.State.FirstEpochLoss.Should().Be(1.1);
        TrialEvolution.Evolve(run.State, run.Started).FirstEpochLoss.Should().Be(0);
    }

    [Fact]
    public void A_resumed_trial_keeps_its_reference_from_the_journal()
    {
        var run = Trial(Losses(0.5, 0.6));
        var replayed = TrialEvolution.Replay(run.All);

        TrialDecider.Decide(replayed, Losses(0.5, 10.9)).Diverges.Should().BeFalse("a val loss of 10.9 is under the floor's bound of 20");
        TrialDecider.Decide(replayed, Losses(0.5, 21)).Divergence.Should().Be("val loss 21 exceeds 20, 10 x 2 (the floor of the reference loss)");
    }

    // ---- the audit ----

    [Fact]
    public void A_diverged_journal_audits_clean()
    {
        TrialAudit.Violations(Trial(Losses(1136, 8424)).All).Should().BeEmpty();
        TrialAudit.Violations(Trial(Losses(0.5, double.NaN)).All).Should().BeEmpty();
    }

    [Fact]
    public void A_journal_written_before_the_rule_with_a_blow_up_it_trained_through_audits_clean()
    {
        // The demo's EfficientNetV2-S journal: the blown-up epoch improved nothing and training went on to its end.
        var events = Trial().All;
        events.Add(new EpochCompleted(3, 1136, 8424, 0.3, 0.2, 0.01, 0, 1, 1.0));
        events.Add(new CheckpointSaved(3, CheckpointNames.Latest(0, 3), Sha(CheckpointNames.Latest(0, 3))));

        TrialAudit.Violations(events).Should().BeEmpty();
    }

    [Fact]
    public void A_divergence_within_the_bound_one_not_after_its_epoch_and_an_event_after_it_are_reported()
    {
        var within = Trial(Losses(0.5, 0.6)).All;
        within.Add(new EpochCompleted(3, 0.5, 0.6, 0.5, 0.4, 0.01, 0, 1, 1.0));
        within.Add(new TrialDiverged(3, "made up"));
        TrialAudit.Violations(within).Should().Contain(v => v.Contains("are within the bound"));

        var misplaced = Trial(Losses(1136, 8424)).All;
        misplaced.Insert(misplaced.Count - 1, new TrialFailed("in between"));
        TrialAudit.Violations(misplaced).Should().Contain(v => v.Contains("does not follow that epoch's EpochCompleted"));

        var after = Trial(Losses(1136, 8424)).All;
        after.Add(new TrialCompleted(2, 0.7, 3, 1, 0.5, 0.5, [[1]], [0]));
        TrialAudit.Violations(after).Should().Contain(v => v.Contains("(TrialCompleted) after TrialDiverged"));
    }
}
