using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Trials;

public class DeciderPropertyTests
{
    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 400));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_loss_sequences_keep_every_invariant(int seed)
    {
        var (spec, groups, losses) = RandomCase(seed);
        Algorithm1InvariantChecker.Check(TrialDriver.Run(spec, groups, losses), losses);
    }

    [Fact]
    public void The_random_cases_reach_every_stop_reason_and_unfreeze()
    {
        var runs = Enumerable.Range(0, 400).Select(RandomCase).Select(c => TrialDriver.Run(c.Spec, c.Groups, c.Losses)).ToList();
        runs.Select(r => r.State.StopReason).Distinct().Should().BeEquivalentTo(
            ["plateau-after-full-unfreeze", "epoch-budget", "algorithm-1-complete", "round-limit", "early-stopping"]);
        runs.Count(r => r.All.OfType<GroupsUnfrozen>().Count() >= 2).Should().BeGreaterThan(20);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Recording_a_decision_gives_the_events_the_runner_made_of_DecideEpoch(int seed)
    {
        var (spec, groups, losses) = RandomCase(seed);
        var rng = new Random(~seed);
        var state = TrialEvolution.Evolve(TrialState.Initial, TrialDecider.Start(spec, groups));
        foreach (var loss in losses)
        {
            if (state.Phase != TrialPhase.Training) break;
            var outcome = new EpochOutcome(rng.NextDouble(), rng.Next(10) == 0 ? double.NaN : loss, rng.NextDouble(),
                rng.NextDouble(), rng.NextDouble() * 100);

            var decision = TrialDecider.Decide(state, outcome);
            var events = EpochEvents.Record(decision, TrialDriver.Perform(decision.Effects()));

            var decided = TrialDecider.DecideEpoch(state, outcome);
            decision.Effects().Should().Equal(EffectsTheRunnerPerformed(decided));
            events.Should().Equal(EventsTheRunnerJournaled(decided));
            state = events.Aggregate(state, TrialEvolution.Evolve);
        }
        var act = () => TrialDecider.DecideEpoch(state, TrialDriver.Outcome(1));
        if (state.Phase != TrialPhase.Training) act.Should().Throw<InvalidOperationException>();
    }

    // What TrialRunner.ApplyEffects did with DecideEpoch's events, for a trainer whose files hash as TrialDriver.Sha.
    private static IEnumerable<EpochEffect> EffectsTheRunnerPerformed(IReadOnlyList<TrialEvent> decided)
    {
        foreach (var e in decided)
        {
            switch (e)
            {
                case BestImproved b: yield return new EpochEffect.SaveBest(b.Checkpoint); break;
                case GroupsUnfrozen u: yield return new EpochEffect.Unfreeze(u.To, u.LearningRate); break;
                case BestWeightsRestored r: yield return new EpochEffect.RestoreBest(r.BestEpoch); break;
            }
        }
        var epoch = ((EpochCompleted)decided[0]).Epoch;
        if (!decided.OfType<TrainingStopped>().Any()) yield return new EpochEffect.SaveCheckpoint(CheckpointNames.Latest(epoch), epoch);
    }

    private static IEnumerable<TrialEvent> EventsTheRunnerJournaled(IReadOnlyList<TrialEvent> decided)
    {
        foreach (var e in decided) yield return e is BestImproved b ? b with { Sha256 = TrialDriver.Sha(b.Checkpoint) } : e;
        var epoch = ((EpochCompleted)decided[0]).Epoch;
        if (!decided.OfType<TrainingStopped>().Any()) yield return TrialDriver.Checkpoint(epoch);
    }

    private static (TrialSpec Spec, int Groups, List<double> Losses) RandomCase(int seed)
    {
        var rng = new Random(seed);
        var strategy = rng.Next(4) == 0 ? Strategies.FixedTopN : Strategies.Dynamic;
        var stop = rng.Next(2) == 0 ? StopPolicies.PlateauAfterFullUnfreeze : StopPolicies.Algorithm1;
        var groups = rng.Next(1, 7);
        var n = rng.Next(1, 13);
        var maxRounds = rng.Next(1, 5);
        var spec = TrialDriver.Spec(strategy, lr: 0.01, p: rng.Next(1, 5), k: rng.Next(1, 4),
            decay: new[] { 0.1, 0.5, 0.9 }[rng.Next(3)], n: n, topN: rng.Next(0, 8),
            minDelta: rng.Next(3) == 0 ? 0.01 : 0, stop: stop, maxRounds: maxRounds);

        // A noisy downward drift, rounded so that ties happen, with the occasional run of equal values.
        var losses = new List<double>();
        var level = 2.0;
        for (var i = 0; i < n * maxRounds + 5; i++)
        {
            if (rng.Next(5) != 0) level = Math.Max(0.01, level + (rng.NextDouble() - 0.6) * 0.1);
            losses.Add(Math.Round(level, 2));
        }
        return (spec, groups, losses);
    }

    [Fact]
    public void The_checker_notices_a_broken_run()
    {
        var spec = TrialDriver.Spec(p: 1, k: 1, n: 10);
        var losses = new List<double> { 1.0, 1.1, 1.2 };
        var run = TrialDriver.Run(spec, 3, losses);
        losses[1] = 0.5; // the run saw 1.1 at epoch 2; claiming 0.5 must fail the check
        var act = () => Algorithm1InvariantChecker.Check(run, losses);
        act.Should().Throw<Exception>();
    }
}
