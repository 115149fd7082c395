using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using static Orchestrator.Domain.Tests.Trials.TrialDriver;

namespace Orchestrator.Domain.Tests.Trials;

public class FixedTopNDeciderTests
{
    [Theory]
    [InlineData(0, 5, 0)]
    [InlineData(2, 5, 2)]
    [InlineData(9, 5, 5)]
    public void Starts_with_the_top_n_groups_trainable(int topN, int groups, int initial)
    {
        var started = TrialDecider.Start(Spec(Strategy.FixedTopN, topN: topN, k: 0, decay: 0), groups);
        started.InitialUnfrozenGroups.Should().Be(initial);
        TrialEvolution.Evolve(TrialState.Initial, started).UnfrozenGroups.Should().Be(initial);
    }

    [Fact]
    public void Stops_early_after_p_epochs_without_improvement_and_never_unfreezes()
    {
        var d = Run(Spec(Strategy.FixedTopN, p: 2, topN: 2, k: 0, decay: 0), 4, [1.0, 0.9, 0.95, 0.91, 0.5]);

        d.Epochs.Should().HaveCount(4);
        d.Epochs[0].Should().Equal(Completed(1, 1.0, 0.01, 2, 0), Best(1, 1.0), Checkpoint(1));
        d.Epochs[1].Should().Equal(Completed(2, 0.9, 0.01, 2, 0), Best(2, 0.9), Checkpoint(2));
        d.Epochs[2].Should().Equal(Completed(3, 0.95, 0.01, 2, 1), Checkpoint(3));
        d.Epochs[3].Should().Equal(Completed(4, 0.91, 0.01, 2, 2), new TrainingStopped(4, StopReason.EarlyStopping));
        d.State.Should().Match<TrialState>(s => s.Phase == TrialPhase.Stopped && s.BestEpoch == 2 && s.UnfrozenGroups == 2);
    }

    [Fact]
    public void Stops_at_the_epoch_budget()
    {
        var d = Run(Spec(Strategy.FixedTopN, p: 2, n: 3, topN: 1), 4, [1.0, 0.9, 0.8, 0.7]);
        d.Epochs.Should().HaveCount(3);
        d.Epochs[2].Should().Equal(Completed(3, 0.8, 0.01, 1, 0), Best(3, 0.8), new TrainingStopped(3, StopReason.EpochBudget));
    }

    [Fact]
    public void Ignores_the_stop_policy()
    {
        var d = Run(Spec(Strategy.FixedTopN, p: 1, n: 3, topN: 1, stop: StopPolicy.Algorithm1), 4, [1.0, 1.1]);
        d.Epochs[1].Should().Equal(Completed(2, 1.1, 0.01, 1, 1), new TrainingStopped(2, StopReason.EarlyStopping));
    }
}
