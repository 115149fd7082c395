namespace Orchestrator.Domain.Specs;

/// <summary>How images are normalized before the network (a sweep axis; definitions in the README, "Input pipeline").</summary>
public static class Normalizations
{
    /// <summary>What the backbone's weights expect (its per-channel mean/std).</summary>
    public const string Backbone = "backbone";
    /// <summary>Pixels scaled to [0, 1].</summary>
    public const string Scaling = "scaling";
    /// <summary>(x - mean) / std with the training split's pixel mean and std.</summary>
    public const string ZScore = "zscore";
    /// <summary>Per image: windowed to its central region's 2nd..98th percentiles, then standardized by that region.</summary>
    public const string Adaptive = "adaptive";
    public static readonly IReadOnlyList<string> All = [Backbone, Scaling, ZScore, Adaptive];
}

/// <summary>Which training images are augmented (rotation, brightness, contrast).</summary>
public static class Augmentations
{
    public const string None = "none";
    /// <summary>Only images of minority classes: training share below <c>minorityShare</c> (default 1/C).</summary>
    public const string Minority = "minority";
    public static readonly IReadOnlyList<string> All = [None, Minority];
}
