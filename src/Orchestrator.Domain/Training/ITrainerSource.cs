using Orchestrator.Domain.Specs;

namespace Orchestrator.Domain.Training;

/// <summary>
/// An engine other than the built-in libtorch one, loaded from an assembly named by <c>ORCHESTRATOR_ENGINE_PLUGIN</c>
/// (a public type with a parameterless constructor). The seam another engine (TorchSharp, say) would plug into, and
/// how the tests run the orchestrator on an engine that trains nothing.
/// </summary>
public interface ITrainerSource
{
    /// <summary>One line saying what this engine is; the process prints it as a warning.</summary>
    string Description { get; }

    /// <summary>A trainer for one trial whose data has <paramref name="classes"/> classes.</summary>
    ITrainer Create(TrialSpec spec, int classes);
}
