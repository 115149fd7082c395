namespace Orchestrator.Engine.Training;

public enum OptimizerKind { Adam = 0, Sgd = 1 }

public sealed record TrainerOptions(
    string Architecture,   // one of Orchestrator.Domain.Specs.Backbones.Supported
    int NumClasses,
    int InputSize,
    OptimizerKind Optimizer,
    double LearningRate,
    ulong Seed,
    int Threads = 0);
