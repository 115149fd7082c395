using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Specs;

[JsonConverter(typeof(SpecSpellingJsonConverter<Strategy>))]
public enum Strategy
{
    [JsonStringEnumMemberName("dynamic")] Dynamic,
    [JsonStringEnumMemberName("fixed-top-n")] FixedTopN,
    [JsonStringEnumMemberName("full")] Full,
    [JsonStringEnumMemberName("linear-probe")] LinearProbe,
    [JsonStringEnumMemberName("two-stage")] TwoStage,
    [JsonStringEnumMemberName("fixed-step")] FixedStep,
    [JsonStringEnumMemberName("gradual")] Gradual,
    [JsonStringEnumMemberName("chain-thaw")] ChainThaw,
    /// <summary>A schedule the spec defines under <c>schedules:</c> (<see cref="TrialSpec.Schedule"/>).</summary>
    [JsonStringEnumMemberName("custom")] Custom,
}

[JsonConverter(typeof(SpecSpellingJsonConverter<StopPolicy>))]
public enum StopPolicy
{
    /// <summary>Stop when all groups are unfrozen and patience reaches p again, or after MaxEpochs.</summary>
    [JsonStringEnumMemberName("plateau-after-full-unfreeze")] PlateauAfterFullUnfreeze,
    /// <summary>Algorithm 1 literally: rounds of MaxEpochs epochs, repeated while m &lt; L.</summary>
    [JsonStringEnumMemberName("algorithm-1")] Algorithm1,
}

/// <summary>How training counters the class imbalance (design.md: class-balanced sampling, class-weighted loss).</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<ClassBalance>))]
public enum ClassBalance
{
    /// <summary>Class-balanced sampling; the loss weights w_c = N/(C n_c) are computed over the sampled epoch,
    /// where classes are already balanced, so the correction is applied once.</summary>
    [JsonStringEnumMemberName("sampler")] Sampler,
    /// <summary>Every training image once per epoch in a seeded shuffle; w_c from the training split's counts.</summary>
    [JsonStringEnumMemberName("loss")] Loss,
    /// <summary>Both at full strength, as the paper lists them: balanced sampling and training-split weights.
    /// The two corrections multiply, which favours the rarest classes.</summary>
    [JsonStringEnumMemberName("both")] Both,
}

/// <summary>Where a sweep's data comes from. <c>Synthesize</c> set: make a synthetic set there if it is missing.</summary>
public sealed record DataSpec(string Path, SynthesizeSpec? Synthesize);

public sealed record SynthesizeSpec(int Images, int Size, int Seed);

/// <summary>One cell of the sweep grid: everything a worker needs to run the trial. <c>Weights</c>: the pretrained
/// backbone weights file the trial starts from, or null for a seeded random initialisation. <c>UnfreezeEvery</c>
/// (fixed-step), <c>StageTwoRate</c> (two-stage) and <c>Discriminative</c> (gradual) are 0 for the strategies that do
/// not use them (see <see cref="Strategies.BuiltInSchedules"/>). <c>Schedule</c>: the user schedule of a custom trial.</summary>
public sealed record TrialSpec(
    string Sweep,
    string Backbone,
    Strategy Strategy,
    double LearningRate,
    int Patience,
    int Step,
    double Decay,
    int MaxEpochs,
    int FixedTopN,
    double MinDelta,
    StopPolicy StopPolicy,
    int MaxRounds,
    Optimizer Optimizer,
    int BatchSize,
    int InputSize,
    int Seed,
    DataSpec Data,
    ClassBalance ClassBalance = ClassBalance.Sampler,
    string? Weights = null,
    Normalization Normalization = Normalization.Backbone,
    string Augmentation = Augmentations.None,
    double MinorityShare = 0,
    int UnfreezeEvery = 0,
    double StageTwoRate = 0,
    double Discriminative = 0,
    Strategies.UserSchedule? Schedule = null);
