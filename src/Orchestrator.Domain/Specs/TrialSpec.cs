namespace Orchestrator.Domain.Specs;

public static class Strategies
{
    public const string Dynamic = "dynamic";
    public const string FixedTopN = "fixed-top-n";
    public static readonly IReadOnlyList<string> All = [Dynamic, FixedTopN];
}

public static class StopPolicies
{
    /// <summary>Stop when all groups are unfrozen and patience reaches p again, or after MaxEpochs.</summary>
    public const string PlateauAfterFullUnfreeze = "plateau-after-full-unfreeze";
    /// <summary>Algorithm 1 literally: rounds of MaxEpochs epochs, repeated while m &lt; L.</summary>
    public const string Algorithm1 = "algorithm-1";
    public static readonly IReadOnlyList<string> All = [PlateauAfterFullUnfreeze, Algorithm1];
}

/// <summary>How training counters the class imbalance (design.md: class-balanced sampling, class-weighted loss).</summary>
public static class ClassBalances
{
    /// <summary>Class-balanced sampling; the loss weights w_c = N/(C n_c) are computed over the sampled epoch,
    /// where classes are already balanced, so the correction is applied once.</summary>
    public const string Sampler = "sampler";
    /// <summary>Every training image once per epoch in a seeded shuffle; w_c from the training split's counts.</summary>
    public const string Loss = "loss";
    /// <summary>Both at full strength, as the paper lists them: balanced sampling and training-split weights.
    /// The two corrections multiply, which favours the rarest classes.</summary>
    public const string Both = "both";
    public static readonly IReadOnlyList<string> All = [Sampler, Loss, Both];
}

/// <summary>Where a sweep's data comes from. <c>Synthesize</c> set: make a synthetic set there if it is missing.</summary>
public sealed record DataSpec(string Path, SynthesizeSpec? Synthesize);

public sealed record SynthesizeSpec(int Images, int Size, int Seed);

/// <summary>One cell of the sweep grid: everything a worker needs to run the trial. <c>Weights</c>: the pretrained
/// backbone weights file the trial starts from, or null for a seeded random initialisation.</summary>
public sealed record TrialSpec(
    string Sweep,
    string Backbone,
    string Strategy,
    double LearningRate,
    int Patience,
    int Step,
    double Decay,
    int MaxEpochs,
    int FixedTopN,
    double MinDelta,
    string StopPolicy,
    int MaxRounds,
    string Optimizer,
    int BatchSize,
    int InputSize,
    int Seed,
    DataSpec Data,
    string ClassBalance = ClassBalances.Sampler,
    string? Weights = null,
    string Normalization = Normalizations.Backbone,
    string Augmentation = Augmentations.None,
    double MinorityShare = 0);
