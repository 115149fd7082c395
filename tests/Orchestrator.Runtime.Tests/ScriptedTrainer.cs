using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Training;

namespace Orchestrator.Runtime.Tests;

/// <summary>
/// A test double for the engine: validation losses come from a script indexed by epoch, "weights" are a
/// version number, and checkpoints are small JSON files with real SHA-256 checks. It records every call so
/// tests can check what the runner asked the engine to do.
/// </summary>
public sealed class ScriptedTrainer(int groups, Func<int, double> valLossOfEpoch) : ITrainer
{
    private sealed record Snapshot(int Epoch, int Weights, int Best, int BestEpoch, int Unfrozen, double Lr);

    public int GroupCount => groups;
    public int Epoch { get; private set; }
    public int Weights { get; private set; }
    public int BestWeights { get; private set; } = -1;
    public int BestEpoch { get; private set; }
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

    public void RememberBest() { BestWeights = Weights; BestEpoch = Epoch; Calls.Add($"remember {Epoch}"); }
    public void RestoreBest() { Weights = BestWeights; Calls.Add($"restore {BestEpoch}"); }

    public string SaveCheckpoint(string path, int epoch) => Write(path, new Snapshot(epoch, Weights, BestWeights, BestEpoch, Unfrozen, LearningRate));
    public string SaveBest(string path) => Write(path, new Snapshot(BestEpoch, BestWeights, BestWeights, BestEpoch, Unfrozen, LearningRate));

    public int LoadCheckpoint(string path, string expectedSha256)
    {
        var s = Read(path, expectedSha256);
        Epoch = s.Epoch;
        Weights = s.Weights;
        Calls.Add($"load {s.Epoch}");
        return s.Epoch;
    }

    public void LoadBest(string path, string expectedSha256)
    {
        var s = Read(path, expectedSha256);
        BestWeights = s.Best;
        BestEpoch = s.BestEpoch;
        Calls.Add($"load-best {s.BestEpoch}");
    }

    public CheckpointImage? CaptureCheckpoint(int epoch) =>
        Captures ? new(JsonSerializer.SerializeToUtf8Bytes(new Snapshot(epoch, Weights, BestWeights, BestEpoch, Unfrozen, LearningRate))) : null;

    public CheckpointImage? CaptureBest() =>
        Captures ? new(JsonSerializer.SerializeToUtf8Bytes(new Snapshot(BestEpoch, BestWeights, BestWeights, BestEpoch, Unfrozen, LearningRate))) : null;

    public void Dispose() { }

    private static string Write(string path, Snapshot snapshot)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(snapshot);
        File.WriteAllBytes(path, bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static Snapshot Read(string path, string sha)
    {
        var bytes = File.ReadAllBytes(path);
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha)
            throw new InvalidDataException($"checkpoint {path}: SHA-256 mismatch");
        return JsonSerializer.Deserialize<Snapshot>(bytes)!;
    }
}
