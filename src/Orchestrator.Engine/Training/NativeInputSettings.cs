using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;

namespace Orchestrator.Engine.Training;

/// <summary>The native library's codes for the input settings.</summary>
internal static class NativeInputSettings
{
    internal static int NativeNormalization(this InputSettings settings) => settings.Normalization switch
    {
        Normalizations.Backbone => 0,
        Normalizations.Scaling => 1,
        Normalizations.ZScore => 2,
        Normalizations.Adaptive => 3,
        _ => throw new ArgumentException($"unknown normalization '{settings.Normalization}' (supported: {string.Join(", ", Normalizations.All)})"),
    };
}
