using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Strategies;

[JsonConverter(typeof(SpecSpellingJsonConverter<GroupChoiceKind>))]
public enum GroupChoiceKind
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("all")] All,
    [JsonStringEnumMemberName("deepest")] Deepest,
    [JsonStringEnumMemberName("groups")] Listed,
}

/// <summary>The groups a phase of a user schedule trains, as the spec names them before a backbone's L is known:
/// none (the head alone), all, the deepest <c>Count</c>, or the listed <c>Groups</c>.</summary>
public sealed record GroupChoice(GroupChoiceKind Kind, int Count = 0, GroupSet? Groups = null)
{
    public GroupSet Resolve(int groups) => Kind switch
    {
        GroupChoiceKind.None => GroupSet.None,
        GroupChoiceKind.All => GroupSet.All(groups),
        GroupChoiceKind.Deepest => GroupSet.Deepest(Count, groups),
        _ => Groups ?? GroupSet.None,
    };

    /// <summary>Why this choice cannot apply to a backbone of <paramref name="groups"/> groups, or null.</summary>
    public string? ProblemFor(int groups) => Kind switch
    {
        GroupChoiceKind.Deepest when Count > groups => $"deepest {Count} exceeds the {groups} groups",
        GroupChoiceKind.Listed when Groups?.DeepestIndex is { } d && d >= groups => $"group {d} is out of range (groups 0 to {groups - 1})",
        _ => null,
    };
}

/// <summary>A phase of a user schedule: as <see cref="SchedulePhase"/>, with groups named as in the spec; a plateau
/// of 0 epochs means the trial's patience p.</summary>
public sealed record PhaseTemplate(GroupChoice Trains, PhaseEnd End, double RateFactor = 1, double Discriminative = 1,
    bool RestoreBest = false, bool ResetOptimizer = true);

/// <summary>A strategy a spec defines under <c>schedules:</c> and names in <c>strategies:</c>.</summary>
public sealed record UserSchedule(string Name, IReadOnlyList<PhaseTemplate> Phases, BatchNormPolicy BatchNorm = BatchNormPolicy.Frozen)
{
    /// <summary>The concrete schedule for a backbone of <paramref name="groups"/> groups and a trial's patience.</summary>
    public PhaseSchedule For(int groups, int patience) => new(
        [.. Phases.Select(p => new SchedulePhase(p.Trains.Resolve(groups),
            p.End is { Kind: PhaseEndKind.Plateau, Count: 0 } ? PhaseEnd.Plateau(patience) : p.End,
            p.RateFactor, p.Discriminative, p.RestoreBest, p.ResetOptimizer))],
        BatchNorm: BatchNorm);

    public bool Equals(UserSchedule? other) =>
        other is not null && Name == other.Name && BatchNorm == other.BatchNorm && Phases.SequenceEqual(other.Phases);

    public override int GetHashCode() => HashCode.Combine(Name, BatchNorm, Phases.Count);
}
