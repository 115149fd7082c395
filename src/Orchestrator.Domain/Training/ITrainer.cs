using Orchestrator.Domain.Strategies;

namespace Orchestrator.Domain.Training;

/// <summary>Progress inside one pass over data: batches done of total, running mean loss.</summary>
public readonly record struct BatchProgress(int BatchesDone, int BatchesTotal, double RunningLoss);

public sealed record EvaluationResult(double Loss, int[] Predictions, float[][] Probabilities);

/// <summary>
/// One model being trained: backbone (L ordered groups, shallow to deep) + head, its optimizer and an
/// in-memory copy of the best weights. BatchNorm layers stay in eval mode always.
/// </summary>
public interface ITrainer : IDisposable
{
    int GroupCount { get; }

    /// <summary>
    /// Sets the input pipeline (normalization, augmented classes) before training; <paramref name="trainIndices"/> are the
    /// training split, whose pixel statistics z-score normalization uses. Trainers without a pipeline ignore it.
    /// </summary>
    void ConfigureInput(IPackedDataset data, IReadOnlyList<int> trainIndices, InputSettings settings) { }

    /// <summary>Tells the trainer which epoch the next <see cref="TrainEpoch"/> is (it keys the augmentation draws).</summary>
    void BeginEpoch(int epoch) { }

    /// <summary>Top <paramref name="unfrozenGroups"/> groups and the head trainable, the rest frozen.</summary>
    void SetTrainable(int unfrozenGroups);
    void SetLearningRate(double learningRate);
    void ResetOptimizer();

    /// <summary>
    /// <paramref name="groups"/> and the head trainable, the other groups frozen; the head at
    /// <paramref name="learningRate"/>, group i at learningRate / discriminative^(d - i), d the deepest group that
    /// trains. The optimizer state is kept. An engine that only freezes a prefix at one rate refuses anything else.
    /// </summary>
    /// <exception cref="NotSupportedException">This engine cannot train that set, or at those rates.</exception>
    void SetTrainableGroups(GroupSet groups, double learningRate, double discriminative) =>
        TrainDeepestGroups(this, groups, learningRate, discriminative);

    /// <summary>What an engine that only freezes a prefix at one rate does with <see cref="SetTrainableGroups"/>: the
    /// deepest groups through <see cref="SetTrainable"/> and <see cref="SetLearningRate"/>, anything else refused.</summary>
    /// <exception cref="NotSupportedException">Not the deepest groups, or not at one rate.</exception>
    static void TrainDeepestGroups(ITrainer trainer, GroupSet groups, double learningRate, double discriminative)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(groups);
        if (!groups.IsDeepestOf(trainer.GroupCount) || discriminative != 1)
            throw new NotSupportedException($"this engine trains only the deepest groups at one rate, not groups {groups} " +
                $"with a discriminative factor of {discriminative}");
        trainer.SetTrainable(groups.Count);
        trainer.SetLearningRate(learningRate);
    }

    /// <summary>Whether BatchNorm layers update their running statistics while training (false, the default: they
    /// stay in eval mode, as the paper trains).</summary>
    /// <exception cref="NotSupportedException">This engine keeps them frozen.</exception>
    void SetBatchNormUpdates(bool update)
    {
        if (update) throw new NotSupportedException("this engine keeps BatchNorm running statistics frozen");
    }

    /// <summary>Trains one epoch over the given sample order (indices into the dataset, repeats allowed),
    /// batch by batch; returns the mean training loss. Cancellation is checked between batches.</summary>
    double TrainEpoch(IPackedDataset data, ReadOnlySpan<int> sampleOrder, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct);

    /// <summary>Evaluates in eval mode: class-weighted mean loss, argmax predictions, softmax probabilities.</summary>
    EvaluationResult Evaluate(IPackedDataset data, ReadOnlySpan<int> indices, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct);

    /// <summary>Estimates BatchNorm running statistics from these images, for a model without pretrained
    /// weights; they stay fixed afterwards (BatchNorm is in eval mode during training).</summary>
    void CalibrateBatchNorm(IPackedDataset data, ReadOnlySpan<int> indices, int batchSize, Action<BatchProgress>? progress, CancellationToken ct);

    /// <summary>Loads pretrained backbone weights (a file made by `orchestrator model import`) into the backbone,
    /// BatchNorm running statistics included; the head keeps its initialisation. Returns the tensors loaded.</summary>
    int LoadBackboneWeights(string path);

    void RememberBest();
    void RestoreBest();

    /// <summary>The feature cache's hits and misses since the last call, which starts the count again; an engine
    /// without a cache reports none.</summary>
    FeatureCacheCounters TakeFeatureCacheCounters() => default;

    /// <summary>Saves weights, optimizer state, epoch and RNG state atomically (temp file, rename); returns SHA-256 hex.
    /// Not flushed to disk: whoever journals the file flushes it (and its folder) first.</summary>
    string SaveCheckpoint(string path, int epoch);
    /// <summary>Verifies the SHA-256, then loads; returns the epoch stored. Throws on a hash mismatch.</summary>
    int LoadCheckpoint(string path, string expectedSha256);
    /// <summary>Saves the in-memory best weights atomically, not flushed (as <see cref="SaveCheckpoint"/>); returns SHA-256 hex.</summary>
    string SaveBest(string path);
    /// <summary>Verifies, then loads a file from <see cref="SaveBest"/> into the in-memory best weights.</summary>
    void LoadBest(string path, string expectedSha256);

    /// <summary>What <see cref="SaveCheckpoint"/> would write, taken now without writing a file, so that the file is
    /// written on another thread while the next epoch trains. Null: this trainer saves only with SaveCheckpoint.</summary>
    CheckpointImage? CaptureCheckpoint(int epoch) => null;

    /// <summary>What <see cref="SaveBest"/> would write, taken now without writing a file (null: not supported).</summary>
    CheckpointImage? CaptureBest() => null;
}

/// <summary>A packed dataset opened for training: labels and a native memory-mapped view of the pixels.</summary>
public interface IPackedDataset : IDisposable
{
    Data.DatasetManifest Manifest { get; }
    IReadOnlyList<int> Labels { get; }
    /// <summary>Indices of the items of one split, in manifest order.</summary>
    IReadOnlyList<int> IndicesOf(string split);
}
