using Orchestrator.Domain.Specs;

namespace Orchestrator.Engine.Training;

public sealed record TrainerOptions(
    string Architecture,   // one of Orchestrator.Domain.Specs.Backbones.Supported
    int NumClasses,
    int InputSize,
    Optimizer Optimizer,
    double LearningRate,
    ulong Seed,
    int Threads = 0);
