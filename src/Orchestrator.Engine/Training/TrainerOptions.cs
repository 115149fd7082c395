using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;

namespace Orchestrator.Engine.Training;

public sealed record TrainerOptions(
    string Architecture,   // one of Orchestrator.Domain.Specs.Backbones.Supported
    int NumClasses,
    int InputSize,
    Optimizer Optimizer,
    double LearningRate,
    ulong Seed,
    int Threads = 0,
    ComputeDevice Device = default,             // default: the CPU
    FeatureCacheSettings? FeatureCache = null); // null: every batch runs through the frozen layers
