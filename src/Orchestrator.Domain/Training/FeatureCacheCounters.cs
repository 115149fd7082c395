namespace Orchestrator.Domain.Training;

/// <summary>Images of one epoch whose frozen-prefix output came from the engine's feature cache (hits) and images that
/// ran through the frozen layers (misses: not cached yet, augmented in this epoch, or over the cache's budget).</summary>
public readonly record struct FeatureCacheCounters(long Hits, long Misses);
