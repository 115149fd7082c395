using System.Text.Json.Serialization;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Domain.Specs;

/// <summary>The hyperparameter axes of a sweep. Every list is non-empty and free of duplicates.</summary>
public sealed record HyperparameterGrid(
    IReadOnlyList<double> LearningRate,
    IReadOnlyList<int> Patience,
    IReadOnlyList<int> Step,
    IReadOnlyList<double> Decay,
    IReadOnlyList<int> Epochs,
    IReadOnlyList<int> FixedTopN,
    double MinDelta,
    IReadOnlyList<Normalization>? Normalization = null,
    IReadOnlyDictionary<string, HyperparameterGrid>? ByBackbone = null,
    IReadOnlyList<int>? UnfreezeEvery = null,
    IReadOnlyList<double>? StageTwoRate = null,
    IReadOnlyList<double>? Discriminative = null)
{
    /// <summary>The axes of a backbone's trials: these, with the lists the spec gives that backbone in their place.</summary>
    public HyperparameterGrid For(string backbone) => ByBackbone?.GetValueOrDefault(backbone) ?? this;

    /// <summary>The normalization axis; <see cref="Specs.Normalization.Backbone"/> alone when the spec names none.</summary>
    public IReadOnlyList<Normalization> NormalizationAxis => Normalization ?? [Specs.Normalization.Backbone];

    /// <summary>Fixed-step's epochs between unfreezes; <see cref="Strategies.BuiltInSchedules.DefaultUnfreezeEvery"/> alone by default.</summary>
    public IReadOnlyList<int> UnfreezeEveryAxis => UnfreezeEvery ?? [Strategies.BuiltInSchedules.DefaultUnfreezeEvery];

    /// <summary>Two-stage's rate factor for its second stage; <see cref="Strategies.BuiltInSchedules.DefaultStageTwoRate"/> alone by default.</summary>
    public IReadOnlyList<double> StageTwoRateAxis => StageTwoRate ?? [Strategies.BuiltInSchedules.DefaultStageTwoRate];

    /// <summary>Gradual's per-group rate divisor; <see cref="Strategies.BuiltInSchedules.DefaultDiscriminative"/> alone by default.</summary>
    public IReadOnlyList<double> DiscriminativeAxis => Discriminative ?? [Strategies.BuiltInSchedules.DefaultDiscriminative];
}

/// <summary>A validated sweep spec, as read from YAML by <see cref="SweepSpecParser"/>. <c>InputSizes</c> has an entry
/// for every backbone; <c>Weights</c> maps a backbone to the file of pretrained weights its trials start from
/// (made by `orchestrator model import`); backbones without one start from a seeded random initialisation.
/// <c>Search</c>: the sampled axes of a search, or null for a plain grid. <c>Pruning</c>: successive halving inside
/// each (backbone, strategy) cell, or null. <c>Replicates</c>: how many fresh seeds each cell's best configuration runs
/// with once its search has ended (0: none; the comparison then uses the search's trials).</summary>
public sealed record SweepSpec(
    string Name,
    DataSpec Data,
    IReadOnlyList<string> Backbones,
    IReadOnlyList<Strategy> Strategies,
    IReadOnlyList<int> Seeds,
    IReadOnlyDictionary<string, int> InputSizes,
    int BatchSize,
    Optimizer Optimizer,
    HyperparameterGrid Hyperparameters,
    StopPolicy StopPolicy,
    int MaxRounds,
    ClassBalance ClassBalance = ClassBalance.Sampler,
    IReadOnlyDictionary<string, string>? Weights = null,
    string Augmentation = Augmentations.None,
    double MinorityShare = 0,
    IReadOnlyList<Strategies.UserSchedule>? Schedules = null,
    Search.SearchSpec? Search = null,
    Search.PruningSpec? Pruning = null,
    int Replicates = 0);

[JsonConverter(typeof(SpecSpellingJsonConverter<Optimizer>))]
public enum Optimizer
{
    [JsonStringEnumMemberName("adam")] Adam,
    [JsonStringEnumMemberName("sgd")] Sgd,
}

/// <summary>An invalid sweep spec. The message is one line naming the offending field.</summary>
public sealed class SpecException : Exception
{
    public SpecException(string message) : base(message) { }
}

/// <summary>One trial of an expanded sweep: its id, spec and the canonical JSON the id hashes.</summary>
public sealed record PlannedTrial(TrialId Id, TrialSpec Spec, string CanonicalJson);
