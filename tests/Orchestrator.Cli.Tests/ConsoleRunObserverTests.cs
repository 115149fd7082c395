using Orchestrator.Cli.Output;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Cli.Tests;

/// <summary>The line a slot prints when a trial leaves it. A trial that stopped without an end (its node downed or
/// leaving) or was cancelled printed "failed: " with nothing after it.</summary>
public class ConsoleRunObserverTests
{
    private static readonly TrialState AfterThreeEpochs = TrialState.Initial with { EpochsDone = 3 };

    [Fact]
    public void A_trial_handed_back_is_said_to_resume_not_to_have_failed() =>
        ConsoleRunObserver.Describe(TrialExit.Interrupted, AfterThreeEpochs)
            .Should().Be("stopped after epoch 3 and handed back; it resumes from its journal");

    [Fact]
    public void A_cancelled_trial_is_said_to_be_cancelled() =>
        ConsoleRunObserver.Describe(TrialExit.Ended(TrialEnd.Cancelled), AfterThreeEpochs)
            .Should().Be("cancelled after epoch 3; its journal is kept for `sweep resume`");

    [Fact]
    public void A_failed_trial_gives_its_reason() =>
        ConsoleRunObserver.Describe(TrialExit.Ended(TrialEnd.Failed), AfterThreeEpochs with { FailureReason = "loss diverged" })
            .Should().Be("failed: loss diverged");

    [Fact]
    public void A_diverged_trial_gives_its_epoch_and_reason() =>
        ConsoleRunObserver.Describe(TrialExit.Ended(TrialEnd.Diverged),
                AfterThreeEpochs with { Phase = TrialPhase.Diverged, Divergence = new Domain.Events.TrialDiverged(3, "val loss is NaN") })
            .Should().Be("diverged at epoch 3: val loss is NaN");

    [Fact]
    public void An_epoch_line_spells_the_stop_reason_as_journals_do() =>
        EpochLine.Describe([new Domain.Events.BestImproved(4, 0.5, "best-a001-e0004.pt", "ab"), new Domain.Events.TrainingStopped(4, Domain.Events.StopReason.RoundLimit)])
            .Should().Be("best; stopped: round-limit");
}
