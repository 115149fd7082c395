using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Training;

/// <summary>
/// The input pipeline of one trial: a normalization, the classes whose training images
/// are augmented, and the seed of the augmentation draws.
/// </summary>
public sealed record InputSettings(Normalization Normalization, IReadOnlyList<bool> AugmentClasses, ulong Seed)
{
    public static InputSettings Default(int classes) => new(Normalization.Backbone, new bool[classes], 0);

    /// <summary>The settings a trial spec asks for, given its training split's labels.</summary>
    public static InputSettings For(TrialSpec spec, IReadOnlyList<int> trainLabels, int classes)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var augment = spec.Augmentation == Augmentations.Minority
            ? MinorityClasses.Of(trainLabels, classes, spec.MinorityShare)
            : new bool[classes];
        return new InputSettings(spec.Normalization, augment, unchecked((ulong)(long)spec.Seed));
    }
}
