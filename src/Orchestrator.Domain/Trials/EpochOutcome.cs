namespace Orchestrator.Domain.Trials;

/// <summary>What the engine reports after training and validating one epoch.</summary>
public sealed record EpochOutcome(double TrainLoss, double ValLoss, double ValAccuracy, double ValMacroF1, double Seconds,
    Training.FeatureCacheCounters FeatureCache = default);
