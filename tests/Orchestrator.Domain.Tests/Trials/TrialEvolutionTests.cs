using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

public class TrialEvolutionTests
{
    private static readonly TrialStarted Started =
        new(Strategy.Dynamic, "mobilenet_v2", 4, 0.01, 2, 1, 0.1, 20, 0, StopPolicy.Algorithm1, 0.001, 3, 5);

    [Fact]
    public void Each_event_updates_what_it_means()
    {
        var s = TrialEvolution.Replay([
            Started,
            new EpochCompleted(1, 1, 0.9, 0.5, 0.4, 0.01, 0, 0, 2),
            new BestImproved(1, 0.9, "best-e0001.pt", "aa"),
            new CheckpointSaved(1, "epoch-e0001.pt", "bb"),
            new EpochCompleted(2, 1, 0.95, 0.5, 0.4, 0.01, 0, 1, 2),
            new EpochCompleted(3, 1, 0.95, 0.5, 0.4, 0.01, 0, 2, 2),
            new GroupsUnfrozen(3, 0, 1, 0.009),
            new BestWeightsRestored(3, 1),
            new CheckpointSaved(3, "epoch-e0003.pt", "cc"),
        ]);

        s.Should().Be(TrialState.Initial with
        {
            Phase = TrialPhase.Training,
            Strategy = Strategy.Dynamic,
            Backbone = "mobilenet_v2",
            Groups = 4,
            Patience = 2,
            Step = 1,
            Decay = 0.1,
            MaxEpochs = 20,
            StopPolicy = StopPolicy.Algorithm1,
            MinDelta = 0.001,
            MaxRounds = 5,
            Seed = 3,
            EpochsDone = 3,
            UnfrozenGroups = 1,
            LearningRate = 0.009,
            PatienceCounter = 0,
            BestEpoch = 1,
            BestValLoss = 0.9,
            BestCheckpoint = "best-e0001.pt",
            BestSha256 = "aa",
            LatestCheckpoint = "epoch-e0003.pt",
            LatestSha256 = "cc",
            LatestCheckpointEpoch = 3,
            LastRestoreEpoch = 3,
            FirstEpochLoss = 1,
        });
    }

    [Fact]
    public void Stop_complete_and_fail_set_the_phase()
    {
        var completed = new TrialCompleted(1, 0.9, 3, 0.8, 0.7, 0.6, [[1]], [0]);
        var stopped = TrialEvolution.Replay([Started, new TrainingStopped(3, StopReason.RoundLimit)]);
        stopped.Phase.Should().Be(TrialPhase.Stopped);
        stopped.StopReason.Should().Be(StopReason.RoundLimit);
        stopped.IsTerminal.Should().BeFalse();

        var done = TrialEvolution.Evolve(stopped, completed);
        done.Phase.Should().Be(TrialPhase.Completed);
        done.Result.Should().BeSameAs(completed);
        done.IsTerminal.Should().BeTrue();

        var failed = TrialEvolution.Evolve(stopped, new TrialFailed("boom"));
        failed.Phase.Should().Be(TrialPhase.Failed);
        failed.FailureReason.Should().Be("boom");
    }

    [Fact]
    public void Checkpoint_names_are_zero_padded()
    {
        CheckpointNames.Best(0, 7).Should().Be("best-e0007.pt", "names from before attempts were named stay as they were");
        CheckpointNames.Latest(0, 123).Should().Be("epoch-e0123.pt");
        CheckpointNames.Best(2, 7).Should().Be("best-a002-e0007.pt");
        CheckpointNames.Latest(12, 123).Should().Be("epoch-a012-e0123.pt");
        CheckpointNames.AttemptOf(CheckpointNames.Latest(12, 123)).Should().Be(12);
        CheckpointNames.AttemptOf(CheckpointNames.Best(0, 7)).Should().Be(0);
        CheckpointNames.AttemptOf("epoch-e0001.pt.tmp").Should().Be(0);
    }

    [Fact]
    public void Events_of_an_attempt_older_than_the_newest_started_one_are_superseded_and_change_nothing()
    {
        var attempt1 = new AttemptStarted("slot-a") { Attempt = 1 };
        var attempt2 = new AttemptStarted("slot-b") { Attempt = 2 };
        var epoch1 = new EpochCompleted(1, 1, 0.9, 0.5, 0.4, 0.01, 0, 0, 2) { Attempt = 1 };
        var epoch2 = new EpochCompleted(2, 1, 0.8, 0.5, 0.4, 0.01, 0, 0, 2) { Attempt = 2 };
        var lateEpoch2 = new EpochCompleted(2, 1, 0.1, 0.5, 0.4, 0.01, 0, 0, 2) { Attempt = 1 };
        var lateStop = new TrainingStopped(2, StopReason.EpochBudget) { Attempt = 1 };
        var staleStart = new AttemptStarted("slot-a") { Attempt = 1 };
        var journal = new TrialEvent[] { attempt1, Started with { Attempt = 1 }, epoch1, attempt2, epoch2, lateEpoch2, lateStop, staleStart };

        var state = TrialEvolution.Replay(journal);

        state.Attempt.Should().Be(2);
        state.EpochsDone.Should().Be(2);
        state.Phase.Should().Be(TrialPhase.Training);
        state.Should().Be(TrialEvolution.Replay(journal.Take(5)));
        TrialEvolution.Effective(journal).Should().Equal(journal.Take(5));
    }

    [Fact]
    public void A_journal_written_before_attempts_were_numbered_replays_as_it_always_did()
    {
        var journal = new TrialEvent[]
        {
            Started,
            new EpochCompleted(1, 1, 0.9, 0.5, 0.4, 0.01, 0, 0, 2),
            new AttemptFailed(1, "IOException: disk hiccup"),
            new EpochCompleted(2, 1, 0.8, 0.5, 0.4, 0.01, 0, 0, 2),
        };

        TrialEvolution.Effective(journal).Should().Equal(journal);
        var state = TrialEvolution.Replay(journal);
        state.EpochsDone.Should().Be(2);
        state.FailedAttempts.Should().Be(1);
        state.Attempt.Should().Be(0);
    }

    [Fact]
    public void Failed_attempts_count_across_a_restart_from_scratch()
    {
        var state = TrialEvolution.Replay([
            new AttemptStarted("s") { Attempt = 1 },
            new AttemptFailed(1, "no data") { Attempt = 1 },
            new AttemptStarted("s") { Attempt = 2 },
            Started with { Attempt = 2 },
        ]);

        state.FailedAttempts.Should().Be(1, "a TrialStarted written by a later attempt does not wipe the failures before it");
        state.Phase.Should().Be(TrialPhase.Training);
    }
}
