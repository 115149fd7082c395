using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

public class TrialAuditTests
{
    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 200));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Journals_the_decider_writes_have_no_violation(int seed)
    {
        var rng = new Random(seed);
        var stop = rng.Next(2) == 0 ? StopPolicy.PlateauAfterFullUnfreeze : StopPolicy.Algorithm1;
        var strategy = rng.Next(4) == 0 ? Strategy.FixedTopN : Strategy.Dynamic;
        var spec = TrialDriver.Spec(strategy, p: rng.Next(1, 4), k: rng.Next(1, 4), n: rng.Next(2, 10), topN: rng.Next(0, 5),
            minDelta: rng.Next(3) == 0 ? 0.01 : 0, stop: stop, maxRounds: rng.Next(1, 4));
        var losses = Enumerable.Range(0, 60).Select(_ => Math.Round(1 + rng.NextDouble(), 1)).ToList();

        var run = TrialDriver.Run(spec, rng.Next(1, 7), losses);

        TrialAudit.Violations(run.All).Should().BeEmpty();
    }

    [Fact]
    public void An_attempt_that_failed_before_the_trial_started_is_no_violation()
    {
        // The first attempt could not start (e.g. its backbone was not registered yet); the second ran the trial.
        var events = new List<TrialEvent> { new AttemptStarted("slot-a"), new AttemptFailed(1, "unknown architecture"), new AttemptStarted("slot-b") };
        events.AddRange(Journal().Where(e => e is not AttemptStarted));

        TrialAudit.Violations(events).Should().BeEmpty();
    }

    [Fact]
    public void A_journal_whose_first_trial_event_is_not_TrialStarted_is_reported()
    {
        var events = Journal().Where(e => e is not TrialStarted).ToList();
        TrialAudit.Violations(events).Should().ContainSingle().Which.Should().Be("the first event is not TrialStarted");
    }

    private static List<TrialEvent> Journal()
    {
        // p = 1, k = 2, L = 3: epoch 2 plateaus and unfreezes 0 -> 2, epoch 3 plateaus and unfreezes 2 -> 3.
        var run = TrialDriver.Run(TrialDriver.Spec(p: 1, k: 2, n: 10), 3, [1.0, 1.2, 1.1, 0.9, 1.0, 1.0]);
        return run.All;
    }

    [Fact]
    public void A_journal_pruned_after_its_last_epoch_is_sound_and_one_pruned_elsewhere_or_followed_is_not()
    {
        var events = Journal();
        var second = events.OfType<EpochCompleted>().Single(e => e.Epoch == 2);
        var cut = events.Take(events.IndexOf(second) + 1).ToList();
        // Epoch 2's own events (its unfreeze and restore) follow it before the pruning.
        cut.AddRange(events.Skip(cut.Count).TakeWhile(e => e is not EpochCompleted and not TrainingStopped));
        TrialAudit.Violations([.. cut, new TrialPruned(2, 0, 1.0, 3)]).Should().BeEmpty();

        TrialAudit.Violations([.. cut, new TrialPruned(1, 0, 1.0, 3)]).Should().Contain(v => v.Contains("TrialPruned names epoch 1"));
        TrialAudit.Violations([.. cut, new TrialPruned(2, 0, 1.0, 3), events.OfType<EpochCompleted>().Single(e => e.Epoch == 3)])
            .Should().Contain(v => v.Contains("after TrialPruned"));
    }

    [Fact]
    public void An_unfreeze_without_a_plateau_is_reported()
    {
        var events = Journal();
        var first = events.OfType<EpochCompleted>().First();
        events.Insert(events.IndexOf(first) + 2, new GroupsUnfrozen(1, 0, 2, 0.009));
        TrialAudit.Violations(events).Should().Contain(v => v.Contains("unfreeze without a plateau"));
    }

    [Fact]
    public void A_wrong_step_a_wrong_rate_and_a_missing_restore_are_reported()
    {
        var events = Journal();
        var unfreeze = events.OfType<GroupsUnfrozen>().First();
        var at = events.IndexOf(unfreeze);
        events[at] = unfreeze with { To = 3, LearningRate = unfreeze.LearningRate * 0.5 };
        events.RemoveAt(at + 1);
        TrialAudit.Violations(events).Should().Contain(v => v.Contains("expected 0->2"))
            .And.Contain(v => v.Contains("new rate"))
            .And.Contain(v => v.Contains("not followed by a restore"));
    }

    [Fact]
    public void A_missed_unfreeze_a_wrong_patience_counter_and_a_wrong_best_epoch_are_reported()
    {
        var events = Journal();
        var at = events.IndexOf(events.OfType<GroupsUnfrozen>().First());
        events.RemoveRange(at, 2);
        var epoch1 = events.OfType<EpochCompleted>().First();
        events[events.IndexOf(epoch1)] = epoch1 with { PatienceCounter = 3 };
        events.Add(new TrialCompleted(2, 1.2, 6, 1, 0.5, 0.5, [[1]], [0]));
        TrialAudit.Violations(events).Should().Contain(v => v.Contains("but no unfreeze"))
            .And.Contain(v => v.Contains("patienceCounter 3, expected 0"))
            .And.Contain(v => v.Contains("lowest validation loss was at epoch"));
    }
}
