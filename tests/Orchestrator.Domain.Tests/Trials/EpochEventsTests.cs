using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using static Orchestrator.Domain.Tests.Trials.TrialDriver;

namespace Orchestrator.Domain.Tests.Trials;

public class EpochEventsTests
{
    private static readonly string BestSha = new('b', 64);
    private static readonly string CheckpointSha = new('c', 64);
    private static readonly GroupUnfreeze Unfreeze = new(From: 1, To: 3, LearningRate: 0.009, RestoreBestEpoch: 2);

    private static EpochDecision Improved(StopReason? stop = null) => new(Completed(4, 0.8, 0.01, 1, 0), true, null, stop);
    private static EpochDecision Unfrozen(StopReason? stop = null) => new(Completed(4, 1.2, 0.01, 1, 2), false, Unfreeze, stop);

    [Fact]
    public void An_improvement_is_journaled_with_the_hash_of_the_saved_best_weights_and_the_checkpoint_last()
    {
        var events = EpochEvents.Record(Improved(), new(new("best-e0004.pt", BestSha), new("epoch-e0004.pt", CheckpointSha)));

        events.Should().Equal(Completed(4, 0.8, 0.01, 1, 0), new BestImproved(4, 0.8, "best-e0004.pt", BestSha),
            new CheckpointSaved(4, "epoch-e0004.pt", CheckpointSha));
    }

    [Fact]
    public void An_unfreeze_is_followed_by_the_restore_then_the_checkpoint()
    {
        var events = EpochEvents.Record(Unfrozen(), new(null, new("epoch-e0004.pt", CheckpointSha)));

        events.Should().Equal(Completed(4, 1.2, 0.01, 1, 2), new GroupsUnfrozen(4, 1, 3, 0.009), new BestWeightsRestored(4, 2),
            new CheckpointSaved(4, "epoch-e0004.pt", CheckpointSha));
    }

    [Fact]
    public void A_stop_comes_last_and_saves_no_checkpoint()
    {
        EpochEvents.Record(Unfrozen(StopReason.EpochBudget), new(null, null)).Should().Equal(
            Completed(4, 1.2, 0.01, 1, 2), new GroupsUnfrozen(4, 1, 3, 0.009), new BestWeightsRestored(4, 2),
            new TrainingStopped(4, StopReason.EpochBudget));
        EpochEvents.Record(Improved(StopReason.RoundLimit), new(new("best-e0004.pt", BestSha), null)).Should().Equal(
            Completed(4, 0.8, 0.01, 1, 0), new BestImproved(4, 0.8, "best-e0004.pt", BestSha),
            new TrainingStopped(4, StopReason.RoundLimit));
    }

    [Fact]
    public void Missing_wrongly_named_or_unexpected_files_are_refused()
    {
        var best = new SavedFile("best-e0004.pt", BestSha);
        var checkpoint = new SavedFile("epoch-e0004.pt", CheckpointSha);
        var refused = new Action[]
        {
            () => EpochEvents.Record(Improved(), new(null, checkpoint)),
            () => EpochEvents.Record(Improved(), new(best, null)),
            () => EpochEvents.Record(Improved(), new(new("best-e0003.pt", BestSha), checkpoint)),
            () => EpochEvents.Record(Improved(), new(best, new("epoch-e0003.pt", CheckpointSha))),
            () => EpochEvents.Record(Unfrozen(), new(best, checkpoint)),
            () => EpochEvents.Record(Unfrozen(StopReason.EpochBudget), new(null, checkpoint)),
            () => EpochEvents.Record(Improved(), new(new("best-e0004.pt", ""), checkpoint)),
        };
        foreach (var record in refused) record.Should().Throw<ArgumentException>();
    }
}
