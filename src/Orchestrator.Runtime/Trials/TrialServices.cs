using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Trials;

/// <summary>Builds the engine for a trial on one worker slot (whose device it picks); a seam so tests and benchmarks
/// can plug in another engine.</summary>
public delegate ITrainer TrainerFactory(TrialSpec spec, int classes, string slot);

/// <summary>What every trial of a process shares: where checkpoints go, the open datasets, the engine, the
/// observer, the retry limit, the backoff between attempts, and the node's <see cref="PauseWatch"/> (none outside a cluster).</summary>
public sealed record TrialServices(
    string ArtifactRoot,
    DatasetCache Datasets,
    TrainerFactory Trainers,
    IRunObserver Observer,
    IArtifactBlobs? Blobs = null,
    int MaxAttempts = 3,
    TimeSpan? MinBackoff = null,
    PauseWatch? Pauses = null)
{
    public TimeSpan RetryBackoff => MinBackoff ?? TimeSpan.FromSeconds(1);
}
