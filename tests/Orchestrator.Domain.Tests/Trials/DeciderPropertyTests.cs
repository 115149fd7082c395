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
            [StopReason.PlateauAfterFullUnfreeze, StopReason.EpochBudget, StopReason.Algorithm1Complete, StopReason.RoundLimit, StopReason.EarlyStopping]);
        runs.Count(r => r.All.OfType<GroupsUnfrozen>().Count() >= 2).Should().BeGreaterThan(20);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void A_trial_that_is_no_longer_training_cannot_be_decided(int seed)
    {
        var (spec, groups, losses) = RandomCase(seed);
        var run = TrialDriver.Run(spec, groups, losses);
        var act = () => TrialDecider.Decide(run.State, TrialDriver.Outcome(1));
        if (run.State.Phase != TrialPhase.Training) act.Should().Throw<InvalidOperationException>();
    }

    private static (TrialSpec Spec, int Groups, List<double> Losses) RandomCase(int seed)
    {
        var rng = new Random(seed);
        var strategy = rng.Next(4) == 0 ? Strategy.FixedTopN : Strategy.Dynamic;
        var stop = rng.Next(2) == 0 ? StopPolicy.PlateauAfterFullUnfreeze : StopPolicy.Algorithm1;
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
