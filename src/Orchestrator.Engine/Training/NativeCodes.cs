using Orchestrator.Domain.Specs;

namespace Orchestrator.Engine.Training;

/// <summary>The native library's codes for the domain's choices (include/orchestrator_engine.h: OTE_OPTIMIZER_*, OTE_NORM_*).</summary>
internal static class NativeCodes
{
    internal static int Native(this Optimizer optimizer) => optimizer switch
    {
        Optimizer.Adam => 0,
        Optimizer.Sgd => 1,
    };

    internal static int Native(this Normalization normalization) => normalization switch
    {
        Normalization.Backbone => 0,
        Normalization.Scaling => 1,
        Normalization.ZScore => 2,
        Normalization.Adaptive => 3,
    };
}
