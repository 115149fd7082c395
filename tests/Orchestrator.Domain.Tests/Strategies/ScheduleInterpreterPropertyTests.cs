using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Tests.Trials;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Tests.Strategies;

/// <summary>Generated schedules and loss sequences through the decider: every journal follows its schedule as the
/// test reads it here, with its own bookkeeping, and the audit finds nothing wrong with it.</summary>
public class ScheduleInterpreterPropertyTests
{
    public static TheoryData<int> Seeds => new(Enumerable.Range(0, 300));

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Every_epoch_trains_its_phase_groups_and_phases_change_only_when_they_end(int seed)
    {
        var (started, losses) = RandomCase(seed);
        var schedule = started.Schedule!;
        var run = TrialDriver.Run(started, losses);

        var phase = 0;
        var phaseStart = 0;
        var patience = 0;
        var best = double.PositiveInfinity;
        var bestEpoch = 0;
        var rate = started.LearningRate;
        foreach (var (events, i) in run.Epochs.Select((e, i) => (e, i)))
        {
            var epoch = i + 1;
            var completed = (EpochCompleted)events[0];
            completed.TrainableGroups.Should().Be(schedule[phase].Trains, $"epoch {epoch} is in phase {phase}");
            completed.UnfrozenGroups.Should().Be(schedule[phase].Trains.Count);
            completed.LearningRate.Should().Be(rate);
            var improved = losses[i] < best - started.MinDelta;
            if (improved) (best, bestEpoch) = (losses[i], epoch);
            patience = improved ? 0 : patience + 1;
            var end = schedule[phase].End;
            var ends = end.Kind switch
            {
                PhaseEndKind.Plateau => patience >= end.Count,
                PhaseEndKind.Epochs => epoch - phaseStart >= end.Count,
                _ => false,
            };
            var unfreeze = events.OfType<GroupsUnfrozen>().SingleOrDefault();
            (unfreeze is not null).Should().Be(ends && phase < schedule.LastPhase, $"epoch {epoch}, phase {phase} ends: {ends}");
            if (unfreeze is not null)
            {
                var next = schedule[phase + 1];
                unfreeze.TrainableGroups.Should().Be(next.Trains);
                rate *= next.RateFactor;
                unfreeze.LearningRate.Should().Be(rate);
                events.OfType<BestWeightsRestored>().Select(r => r.BestEpoch).Should().Equal(next.RestoreBest ? [bestEpoch] : []);
                (phase, phaseStart, patience) = (phase + 1, epoch, 0);
            }
            var stops = events.OfType<TrainingStopped>().Any();
            stops.Should().Be((ends && phase == schedule.LastPhase && unfreeze is null) || epoch >= started.MaxEpochs);
        }
        run.Epochs.Count.Should().BeLessThanOrEqualTo(started.MaxEpochs);
        TrialAudit.Violations(run.All).Should().BeEmpty();
    }

    [Fact]
    public void The_generated_cases_reach_every_kind_of_phase_end_and_both_stops()
    {
        var runs = Enumerable.Range(0, 300).Select(RandomCase).Select(c => TrialDriver.Run(c.Started, c.Losses)).ToList();
        runs.Select(r => r.State.StopReason).Distinct().Should().Contain([StopReason.EpochBudget, StopReason.EarlyStopping,
            StopReason.ScheduleComplete, StopReason.FinalPlateau, StopReason.PlateauAfterFullUnfreeze]);
        runs.Count(r => r.All.OfType<GroupsUnfrozen>().Count() >= 3).Should().BeGreaterThan(20);
        runs.Count(r => r.All.OfType<GroupsUnfrozen>().Any(u => !r.All.OfType<BestWeightsRestored>().Any(b => b.Epoch == u.Epoch))).Should().BeGreaterThan(20);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_audit_notices_a_journal_that_claims_other_groups(int seed)
    {
        var (started, losses) = RandomCase(seed);
        var run = TrialDriver.Run(started, losses);
        var events = run.All.ToList();
        var first = events.OfType<EpochCompleted>().First();
        var other = first.TrainableGroups!.Count == 0 ? GroupSet.Of([0]) : GroupSet.None;
        events[events.IndexOf(first)] = first with { TrainableGroups = other };

        TrialAudit.Violations(events).Should().ContainSingle(v => v.Contains("epoch 1: trainableGroups"));
    }

    private static (TrialStarted Started, List<double> Losses) RandomCase(int seed)
    {
        var rng = new Random(seed);
        var groups = rng.Next(1, 7);
        var phases = Enumerable.Range(0, rng.Next(1, 6)).Select(_ => new SchedulePhase(
            RandomGroups(rng, groups),
            rng.Next(3) switch { 0 => PhaseEnd.AfterEpochs(rng.Next(1, 4)), _ => PhaseEnd.Plateau(rng.Next(1, 4)) },
            RateFactor: new[] { 1, 0.5, 0.1, 2 }[rng.Next(4)],
            Discriminative: rng.Next(2) == 0 ? 1 : 2.6,
            RestoreBest: rng.Next(2) == 0,
            ResetOptimizer: rng.Next(2) == 0)).ToList();
        if (rng.Next(4) == 0) phases[^1] = phases[^1] with { End = PhaseEnd.Never };
        var n = rng.Next(1, 25);
        var spec = TrialDriver.Spec(Strategy.Full, p: 1, n: n, minDelta: rng.Next(3) == 0 ? 0.01 : 0) with { Strategy = Strategy.ChainThaw };
        var started = TrialDecider.Start(spec, groups, new PhaseSchedule(phases));

        var losses = new List<double>();
        var level = 2.0;
        for (var i = 0; i < n + 3; i++)
        {
            if (rng.Next(4) != 0) level = Math.Max(0.01, level + (rng.NextDouble() - 0.6) * 0.1);
            losses.Add(Math.Round(level, 2));
        }
        return (started, losses);
    }

    private static GroupSet RandomGroups(Random rng, int groups) => rng.Next(4) switch
    {
        0 => GroupSet.None,
        1 => GroupSet.All(groups),
        2 => GroupSet.Of([rng.Next(groups)]),
        _ => GroupSet.Deepest(rng.Next(groups + 1), groups),
    };
}
