using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Strategies;

/// <summary>
/// The built-in strategies as phase schedules for a backbone of L groups (docs/strategies.md, "Fine-tuning strategies").
/// Every one stops after the trial's epoch budget at the latest, and trains with BatchNorm statistics frozen.
/// </summary>
public static class BuiltInSchedules
{
    public const double DefaultStageTwoRate = 0.1;
    public const double DefaultDiscriminative = 2.6;
    public const int DefaultUnfreezeEvery = 2;

    /// <summary>The schedule of <paramref name="spec"/>'s strategy (or its user schedule) on a backbone of
    /// <paramref name="groups"/> groups.</summary>
    public static PhaseSchedule For(TrialSpec spec, int groups)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        var p = spec.Patience;
        return spec.Strategy switch
        {
            Strategy.Dynamic => Dynamic(groups, p, spec.Step, spec.Decay, spec.StopPolicy),
            Strategy.FixedTopN => FixedTopN(groups, spec.FixedTopN, p),
            Strategy.Full => new([new(GroupSet.All(groups), PhaseEnd.Plateau(p))]),
            Strategy.LinearProbe => new([new(GroupSet.None, PhaseEnd.Plateau(p))]),
            Strategy.TwoStage => new([
                new(GroupSet.None, PhaseEnd.Plateau(p)),
                new(GroupSet.All(groups), PhaseEnd.Plateau(p), RateFactor: spec.StageTwoRate, RestoreBest: true),
            ]),
            Strategy.FixedStep => new(Growing(groups, spec.Step, PhaseEnd.AfterEpochs(spec.UnfreezeEvery), p, _ => new(GroupSet.None, PhaseEnd.Never))),
            Strategy.Gradual => new(Growing(groups, 1, PhaseEnd.AfterEpochs(1), p,
                _ => new(GroupSet.None, PhaseEnd.Never, Discriminative: spec.Discriminative))),
            Strategy.ChainThaw => new([
                new(GroupSet.None, PhaseEnd.Plateau(p)),
                .. Enumerable.Range(0, groups).Select(g => new SchedulePhase(GroupSet.Of([g]), PhaseEnd.Plateau(p), RestoreBest: true)),
                new(GroupSet.All(groups), PhaseEnd.Plateau(p), RestoreBest: true),
            ]),
            Strategy.Custom => (spec.Schedule ?? throw new ArgumentException("a custom trial names no schedule", nameof(spec))).For(groups, p),
            _ => throw new ArgumentOutOfRangeException(nameof(spec), spec.Strategy, "not a built-in strategy"),
        };
    }

    /// <summary>The paper's Algorithm 1: the deepest 0, k, 2k, ... L groups, each phase until a plateau of p epochs;
    /// entering one multiplies the rate by 1 - decay and puts the best weights back.</summary>
    public static PhaseSchedule Dynamic(int groups, int patience, int step, double decay, StopPolicy stop)
    {
        var phases = Growing(groups, step, PhaseEnd.Plateau(patience), patience,
            _ => new(GroupSet.None, PhaseEnd.Never, RateFactor: 1 - decay, RestoreBest: true));
        return new(phases, stop == StopPolicy.Algorithm1 ? ScheduleStop.Algorithm1Rounds : ScheduleStop.LastPhaseEnds);
    }

    /// <summary>The traditional baseline: the deepest n groups from the start, early stopping on patience p.</summary>
    public static PhaseSchedule FixedTopN(int groups, int topN, int patience) =>
        new([new(GroupSet.Deepest(topN, groups), PhaseEnd.Plateau(patience))]);

    /// <summary>Phases training the deepest 0, step, 2 step, ... groups, each ending with <paramref name="end"/>, then
    /// every group until a plateau of <paramref name="patience"/>; <paramref name="entry"/> gives each phase's entry
    /// and rates (its groups and end are replaced).</summary>
    private static List<SchedulePhase> Growing(int groups, int step, PhaseEnd end, int patience, Func<int, SchedulePhase> entry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1);
        var phases = new List<SchedulePhase>();
        for (var m = 0; ; m = Math.Min(m + step, groups))
        {
            var last = m == groups;
            var phase = entry(m) with { Trains = GroupSet.Deepest(m, groups), End = last ? PhaseEnd.Plateau(patience) : end };
            // The first phase is the trial's start, not an entry: no factor applies to it.
            phases.Add(phases.Count == 0 ? phase with { RateFactor = 1, RestoreBest = false } : phase);
            if (last) return phases;
        }
    }
}
