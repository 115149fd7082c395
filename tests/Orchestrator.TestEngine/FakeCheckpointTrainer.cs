using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Training;

namespace Orchestrator.TestEngine;

/// <summary>
/// The fake engines' weights and checkpoints, shared by the sleeping test engine (<see cref="SleepingTestTrainer"/>)
/// and the runtime tests' scripted trainer: "weights" are a version number, checkpoints are small JSON files
/// (<c>{"Epoch","Weights","Best","BestEpoch"}</c>) written atomically (temp file, rename), not flushed, like the real
/// engine's, and checked with real SHA-256 sums when loaded. Subclasses train (set <see cref="Epoch"/> and
/// <see cref="Weights"/>) and may record the calls (<see cref="Record"/>).
/// </summary>
public abstract class FakeCheckpointTrainer
{
    private sealed record Snapshot(int Epoch, int Weights, int Best, int BestEpoch);

    public int Epoch { get; protected set; }
    public int Weights { get; protected set; }
    public int BestWeights { get; private set; } = -1;
    public int BestEpoch { get; private set; }

    /// <summary>Called with each checkpoint call, spelt "remember 3", "restore 3", "load 3", "load-best 3".</summary>
    protected virtual void Record(string call) { }

    public void RememberBest()
    {
        (BestWeights, BestEpoch) = (Weights, Epoch);
        Record($"remember {Epoch}");
    }

    public void RestoreBest()
    {
        Weights = BestWeights;
        Record($"restore {BestEpoch}");
    }

    public string SaveCheckpoint(string path, int epoch) => Write(path, CheckpointOf(epoch));
    public string SaveBest(string path) => Write(path, BestOf());

    /// <summary>Taken in memory like the real engine's, so that the slot writes the files off the engine thread as it does there.</summary>
    public virtual CheckpointImage? CaptureCheckpoint(int epoch) => new(JsonSerializer.SerializeToUtf8Bytes(CheckpointOf(epoch)));
    public virtual CheckpointImage? CaptureBest() => new(JsonSerializer.SerializeToUtf8Bytes(BestOf()));

    public int LoadCheckpoint(string path, string expectedSha256)
    {
        var s = Read(path, expectedSha256);
        (Epoch, Weights) = (s.Epoch, s.Weights);
        Record($"load {s.Epoch}");
        return s.Epoch;
    }

    public void LoadBest(string path, string expectedSha256)
    {
        var s = Read(path, expectedSha256);
        (BestWeights, BestEpoch) = (s.Best, s.BestEpoch);
        Record($"load-best {s.BestEpoch}");
    }

    private Snapshot CheckpointOf(int epoch) => new(epoch, Weights, BestWeights, BestEpoch);
    private Snapshot BestOf() => new(BestEpoch, BestWeights, BestWeights, BestEpoch);

    private static string Write(string path, Snapshot snapshot)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(snapshot);
        var temp = path + ".tmp";
        // Not flushed here, like the real engine's checkpoints: the trial runner flushes them before journaling.
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    private static Snapshot Read(string path, string sha)
    {
        var bytes = File.ReadAllBytes(path);
        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != sha)
            throw new InvalidDataException($"checkpoint {path}: SHA-256 mismatch");
        return JsonSerializer.Deserialize<Snapshot>(bytes) ?? throw new InvalidDataException($"checkpoint {path}: empty");
    }
}
