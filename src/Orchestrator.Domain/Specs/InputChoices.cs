using System.Text.Json.Serialization;

namespace Orchestrator.Domain.Specs;

/// <summary>How images are normalized before the network (a sweep axis; definitions in docs/engine.md, "Input pipeline").</summary>
[JsonConverter(typeof(SpecSpellingJsonConverter<Normalization>))]
public enum Normalization
{
    /// <summary>What the backbone's weights expect (its per-channel mean/std).</summary>
    [JsonStringEnumMemberName("backbone")] Backbone,
    /// <summary>Pixels scaled to [0, 1].</summary>
    [JsonStringEnumMemberName("scaling")] Scaling,
    /// <summary>(x - mean) / std with the training split's pixel mean and std.</summary>
    [JsonStringEnumMemberName("zscore")] ZScore,
    /// <summary>Per image: windowed to its central region's 2nd..98th percentiles, then standardized by that region.</summary>
    [JsonStringEnumMemberName("adaptive")] Adaptive,
}

/// <summary>Which training images are augmented (rotation, brightness, contrast).</summary>
public static class Augmentations
{
    public const string None = "none";
    /// <summary>Only images of minority classes: training share below <c>minorityShare</c> (default 1/C).</summary>
    public const string Minority = "minority";
    public static readonly IReadOnlyList<string> All = [None, Minority];
}
