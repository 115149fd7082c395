using System.Text.Json.Serialization;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Events;

/// <summary>Why training ended, as <see cref="TrainingStopped"/> carries it; journals, tables and reports spell
/// it as its <see cref="JsonStringEnumMemberNameAttribute"/> (the spellings journals have always held).</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<StopReason>))]
public enum StopReason
{
    [JsonStringEnumMemberName("plateau-after-full-unfreeze")] PlateauAfterFullUnfreeze,
    [JsonStringEnumMemberName("epoch-budget")] EpochBudget,
    [JsonStringEnumMemberName("algorithm-1-complete")] Algorithm1Complete,
    [JsonStringEnumMemberName("round-limit")] RoundLimit,
    [JsonStringEnumMemberName("early-stopping")] EarlyStopping,
    [JsonStringEnumMemberName("schedule-complete")] ScheduleComplete,
    [JsonStringEnumMemberName("final-phase-plateau")] FinalPlateau,
}

/// <summary>The spelling of a <see cref="StopReason"/>, as journals, tables and reports print it.</summary>
public static class StopReasonSpelling
{
    public static string ToSpecString(this StopReason value) => SpecSpelling<StopReason>.Of(value);
}
