using System.Text.Json.Serialization;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Strategies;

/// <summary>When a phase ends: after <c>Count</c> epochs without improvement (<see cref="PhaseEndKind.Plateau"/>),
/// after <c>Count</c> epochs in the phase (<see cref="PhaseEndKind.Epochs"/>), or never.</summary>
public sealed record PhaseEnd(PhaseEndKind Kind, int Count)
{
    public static PhaseEnd Plateau(int patience) => new(PhaseEndKind.Plateau, patience);
    public static PhaseEnd AfterEpochs(int epochs) => new(PhaseEndKind.Epochs, epochs);
    public static PhaseEnd Never { get; } = new(PhaseEndKind.Never, 0);

    /// <summary>Whether the phase ends with an epoch after which the patience counter is <paramref name="patience"/>
    /// and that is the <paramref name="epochsInPhase"/>-th of the phase.</summary>
    public bool IsReached(int patience, int epochsInPhase) => Kind switch
    {
        PhaseEndKind.Plateau => patience >= Count,
        PhaseEndKind.Epochs => epochsInPhase >= Count,
        _ => false,
    };

    public override string ToString() => Kind switch
    {
        PhaseEndKind.Plateau => $"plateau {Count}",
        PhaseEndKind.Epochs => $"{Count} epoch(s)",
        _ => "never",
    };
}

[JsonConverter(typeof(SpecSpellingJsonConverter<PhaseEndKind>))]
public enum PhaseEndKind
{
    [JsonStringEnumMemberName("plateau")] Plateau,
    [JsonStringEnumMemberName("epochs")] Epochs,
    [JsonStringEnumMemberName("never")] Never,
}

/// <summary>What a trial's BatchNorm layers do while it trains: keep their running statistics (the paper), or
/// update them from the training batches.</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<BatchNormPolicy>))]
public enum BatchNormPolicy
{
    [JsonStringEnumMemberName("frozen")] Frozen,
    [JsonStringEnumMemberName("updated")] Updated,
}

/// <summary>How a schedule's training ends besides the epoch budget.</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<ScheduleStop>))]
public enum ScheduleStop
{
    /// <summary>When the last phase ends (or after MaxEpochs epochs in total).</summary>
    [JsonStringEnumMemberName("last-phase-ends")] LastPhaseEnds,
    /// <summary>Algorithm 1 literally: rounds of MaxEpochs epochs, repeated until a round ends in the last phase
    /// (or MaxRounds rounds ran); the last phase's end is ignored.</summary>
    [JsonStringEnumMemberName("algorithm-1-rounds")] Algorithm1Rounds,
}

/// <summary>
/// One phase: the groups that train in it, when it ends, and what entering it does: the learning rate is multiplied
/// by <c>RateFactor</c>, the best weights are put back (<c>RestoreBest</c>), the optimizer state is dropped
/// (<c>ResetOptimizer</c>). During the phase, group i trains at rate / <c>Discriminative</c>^(d - i), d being the
/// deepest group that trains (ULMFiT's discriminative rates; 1: every group at the one rate); the head at the rate.
/// The first phase's entry is the trial's start: its factor, restore and reset mean nothing.
/// </summary>
public sealed record SchedulePhase(
    GroupSet Trains,
    PhaseEnd End,
    double RateFactor = 1,
    double Discriminative = 1,
    bool RestoreBest = false,
    bool ResetOptimizer = true)
{
    public override string ToString() => $"{Trains} until {End}";
}

/// <summary>
/// A fine-tuning strategy as pure data: phases in order, how training stops, and the BatchNorm policy. Concrete for
/// one backbone: every group set is resolved against its L groups. <see cref="TrialDecider"/> interprets any schedule.
/// </summary>
public sealed record PhaseSchedule(IReadOnlyList<SchedulePhase> Phases, ScheduleStop Stop = ScheduleStop.LastPhaseEnds,
    BatchNormPolicy BatchNorm = BatchNormPolicy.Frozen)
{
    public SchedulePhase this[int index] => Phases[index];
    public int LastPhase => Phases.Count - 1;

    /// <summary>The reason a trial stops when its last phase ends: early stopping for a one-phase schedule; a plateau
    /// after the full unfreeze when the last phase trains every group; else the schedule's end.</summary>
    public StopReason LastPhaseReason(int groups) =>
        Phases.Count == 1 ? StopReason.EarlyStopping
        : Phases[^1].End.Kind != PhaseEndKind.Plateau ? StopReason.ScheduleComplete
        : Phases[^1].Trains.Count == groups ? StopReason.PlateauAfterFullUnfreeze
        : StopReason.FinalPlateau;

    /// <summary>The problems that make this schedule impossible to run on a backbone of <paramref name="groups"/>
    /// groups, one line each; empty when it can run.</summary>
    public IReadOnlyList<string> Problems(int groups)
    {
        var problems = new List<string>();
        if (Phases.Count == 0) problems.Add("the schedule has no phase");
        for (var i = 0; i < Phases.Count; i++)
        {
            var p = Phases[i];
            var name = $"phase {i + 1}";
            if (p.Trains.DeepestIndex is { } deepest && deepest >= groups)
                problems.Add($"{name}: group {deepest} is out of range (the backbone has groups 0 to {groups - 1})");
            if (p.End.Kind != PhaseEndKind.Never && p.End.Count < 1)
                problems.Add($"{name}: its end needs a count of at least 1, not {p.End.Count}");
            if (p.End.Kind == PhaseEndKind.Never && i < Phases.Count - 1)
                problems.Add($"{name}: a phase that never ends must be the last");
            if (!(p.RateFactor > 0) || !double.IsFinite(p.RateFactor))
                problems.Add($"{name}: the rate factor must be a positive number, not {p.RateFactor}");
            if (!(p.Discriminative >= 1) || !double.IsFinite(p.Discriminative))
                problems.Add($"{name}: the discriminative factor must be at least 1, not {p.Discriminative}");
        }
        return problems;
    }

    public bool Equals(PhaseSchedule? other) =>
        other is not null && Stop == other.Stop && BatchNorm == other.BatchNorm && Phases.SequenceEqual(other.Phases);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Stop);
        hash.Add(BatchNorm);
        foreach (var p in Phases) hash.Add(p);
        return hash.ToHashCode();
    }

    /// <summary>"{} until plateau 3 -> {0,1,2} until plateau 3", as reports name a trial's phases.</summary>
    public override string ToString() => string.Join(" -> ", Phases);
}
