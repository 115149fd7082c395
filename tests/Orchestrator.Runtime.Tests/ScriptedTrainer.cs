using Orchestrator.Domain.Training;
using Orchestrator.TestEngine;

namespace Orchestrator.Runtime.Tests;

/// <summary>
/// A test double for the engine: validation losses come from a script indexed by epoch; "weights" and checkpoints
/// are the fake engines' (<see cref="FakeCheckpointTrainer"/>, as the sleeping test engine's). It records every call
/// so tests can check what the runner asked the engine to do.
/// </summary>
public sealed class ScriptedTrainer(int groups, Func<int, double> valLossOfEpoch) : FakeCheckpointTrainer, ITrainer
{
    public int GroupCount => groups;
    public int Unfrozen { get; private set; }
    public double LearningRate { get; private set; }
    public List<string> Calls { get; } = [];
    public Action<int>? OnTrainEpoch { get; init; }

    /// <summary>This epoch's training waits until it is cancelled (a long epoch that a stop interrupts).</summary>
    public int? HangAtEpoch { get; init; }
    /// <summary>Takes its checkpoints in memory (as the libtorch engine does), so that the slot writes their files.</summary>
    public bool Captures { get; init; }

    public void SetTrainable(int unfrozenGroups) { Unfrozen = unfrozenGroups; Calls.Add($"trainable {unfrozenGroups}"); }
    public void SetLearningRate(double learningRate)
    {
        // The engine's contract: a rate of 0 or less is refused.
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be positive");
        LearningRate = learningRate;
        Calls.Add($"lr {learningRate}");
    }
    public void ResetOptimizer() => Calls.Add("reset-optimizer");

    public double TrainEpoch(IPackedDataset data, ReadOnlySpan<int> sampleOrder, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Epoch++;
        OnTrainEpoch?.Invoke(Epoch);
        if (Epoch == HangAtEpoch) ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
        ct.ThrowIfCancellationRequested();
        Weights = Epoch * 100;
        Calls.Add($"train {Epoch}");
        progress?.Invoke(new BatchProgress(1, 1, 1.0));
        return 1.0 / Epoch;
    }

    public EvaluationResult Evaluate(IPackedDataset data, ReadOnlySpan<int> indices, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        var predictions = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++) predictions[i] = data.Labels[indices[i]];
        var classes = classWeights.Length;
        var probabilities = predictions.Select(_ => new float[classes]).ToArray();
        return new EvaluationResult(valLossOfEpoch(Epoch), predictions, probabilities);
    }

    public void CalibrateBatchNorm(IPackedDataset data, ReadOnlySpan<int> indices, int batchSize, Action<BatchProgress>? progress,
        CancellationToken ct) => Calls.Add($"calibrate {indices.Length}");

    public int LoadBackboneWeights(string path) { Calls.Add($"pretrained {Path.GetFileName(path)}"); return 1; }

    public override CheckpointImage? CaptureCheckpoint(int epoch) => Captures ? base.CaptureCheckpoint(epoch) : null;

    public override CheckpointImage? CaptureBest() => Captures ? base.CaptureBest() : null;

    protected override void Record(string call) => Calls.Add(call);

    public void Dispose() { }
}
