using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Training;

namespace Orchestrator.TestEngine;

/// <summary>
/// TEST ENGINE, never for real sweeps: the one fake of <see cref="ITrainer"/>. It trains nothing: an epoch (optionally
/// after sleeping <see cref="EpochTime"/>) reports the validation loss a script gives for it. "Weights" are a version
/// number; checkpoints are small JSON files (<c>{"Epoch","Weights","Best","BestEpoch"}</c>) written atomically (temp
/// file, rename) and not flushed, like the real engine's, and checked with real SHA-256 sums when loaded. It records
/// every call (<see cref="Calls"/>) so that tests can check what the runner asked of the engine. In-process tests make
/// it directly; processes load it as an engine plugin (<see cref="SleepingEngine"/>), which says so.
/// </summary>
public sealed class FakeTrainer(int groups, Func<int, double> valLossOfEpoch) : ITrainer
{
    /// <summary>A folder (set by the nemesis harness, tests/nemesis): every epoch this process trains appends one line
    /// "TRIAL PID START_MS END_MS" (Unix milliseconds, wall clock) to <c>epochs-PID.log</c> in it, so that a checker can
    /// tell whether two attempts of one trial ever trained at the same time. Unset: nothing is written.</summary>
    public const string EpochLogVariable = "ORCHESTRATOR_TEST_ENGINE_EPOCH_LOG";

    private static readonly string? EpochLog = Environment.GetEnvironmentVariable(EpochLogVariable) is { Length: > 0 } d ? d : null;
    private static readonly Lock EpochLogLock = new();
    private readonly List<string> _calls = [];

    private sealed record Snapshot(int Epoch, int Weights, int Best, int BestEpoch);

    /// <summary>How long an epoch sleeps before it reports its loss (zero: at once).</summary>
    public TimeSpan EpochTime { get; init; }

    /// <summary>The trial it trains, for the epoch log (<see cref="EpochLogVariable"/>).</summary>
    public string? TrialId { get; init; }

    /// <summary>Takes its checkpoints in memory (as the libtorch engine does), so that the slot writes their files;
    /// otherwise the runner has it write them.</summary>
    public bool Captures { get; init; }

    /// <summary>Trains any set of groups at any rates, and either BatchNorm policy (as the libtorch engine); otherwise
    /// only the deepest groups at one rate, as <see cref="ITrainer"/>'s defaults allow.</summary>
    public bool AnyGroups { get; init; }

    /// <summary>This epoch's training waits until it is cancelled (a long epoch that a stop interrupts).</summary>
    public int? HangAtEpoch { get; init; }

    public Action<int>? OnTrainEpoch { get; init; }

    /// <summary>The training loss an epoch reports (default 1 / epoch: finite whatever the validation loss does).</summary>
    public Func<int, double> TrainLossOfEpoch { get; init; } = epoch => 1.0 / epoch;

    public int GroupCount => groups;
    public int Unfrozen { get; private set; }
    public double LearningRate { get; private set; }
    public int Epoch { get; private set; }
    public int Weights { get; private set; }
    public int BestWeights { get; private set; } = -1;
    public int BestEpoch { get; private set; }

    /// <summary>Every call, spelt "trainable 2", "lr 0.001", "train 3", "remember 3", "restore 3", "load 3", ...</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_calls) return [.. _calls];
        }
    }

    public void SetTrainable(int unfrozenGroups)
    {
        Unfrozen = unfrozenGroups;
        Record($"trainable {unfrozenGroups}");
    }

    public void SetLearningRate(double learningRate)
    {
        // The engine's contract: a rate of 0 or less is refused.
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learning rate must be positive");
        LearningRate = learningRate;
        Record($"lr {learningRate}");
    }

    public void ResetOptimizer() => Record("reset-optimizer");

    public void SetTrainableGroups(GroupSet groups, double learningRate, double discriminative)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!AnyGroups)
        {
            ITrainer.TrainDeepestGroups(this, groups, learningRate, discriminative);
            return;
        }
        Record($"groups {groups} lr {learningRate} discriminative {discriminative}");
    }

    public void SetBatchNormUpdates(bool update)
    {
        if (!AnyGroups && update) throw new NotSupportedException("this engine keeps BatchNorm running statistics frozen");
        Record($"batchnorm-updates {update}");
    }

    public double TrainEpoch(IPackedDataset data, ReadOnlySpan<int> sampleOrder, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            if (EpochTime > TimeSpan.Zero) Sleep(EpochTime, ct);
            Epoch++;
            OnTrainEpoch?.Invoke(Epoch);
            if (Epoch == HangAtEpoch) ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            LogEpoch(started); // a cancelled epoch trained until its cancellation too
        }
        Weights = Epoch * 100;
        Record($"train {Epoch}");
        progress?.Invoke(new BatchProgress(1, 1, TrainLossOfEpoch(Epoch)));
        return TrainLossOfEpoch(Epoch);
    }

    /// <summary>Predicts every label right, with all its probability on it; the loss is the script's.</summary>
    public EvaluationResult Evaluate(IPackedDataset data, ReadOnlySpan<int> indices, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(data);
        var predictions = new int[indices.Length];
        var probabilities = new float[indices.Length][];
        for (var i = 0; i < indices.Length; i++)
        {
            predictions[i] = data.Labels[indices[i]];
            probabilities[i] = new float[classWeights.Length];
            probabilities[i][predictions[i]] = 1f;
        }
        return new EvaluationResult(valLossOfEpoch(Epoch), predictions, probabilities);
    }

    public void CalibrateBatchNorm(IPackedDataset data, ReadOnlySpan<int> indices, int batchSize, Action<BatchProgress>? progress,
        CancellationToken ct) => Record($"calibrate {indices.Length}");

    /// <summary>Fails on a missing file, as the real engine would; loads nothing.</summary>
    public int LoadBackboneWeights(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"pretrained weights not found: {path}", path);
        Record($"pretrained {Path.GetFileName(path)}");
        return 1;
    }

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

    public CheckpointImage? CaptureCheckpoint(int epoch) => Captures ? new(JsonSerializer.SerializeToUtf8Bytes(CheckpointOf(epoch))) : null;
    public CheckpointImage? CaptureBest() => Captures ? new(JsonSerializer.SerializeToUtf8Bytes(BestOf())) : null;

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

    public void Dispose() { }

    private void Record(string call)
    {
        lock (_calls) _calls.Add(call);
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

    private void LogEpoch(long startedMs)
    {
        if (EpochLog is null || TrialId is null) return;
        var line = FormattableString.Invariant($"{TrialId} {Environment.ProcessId} {startedMs} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n");
        lock (EpochLogLock) File.AppendAllText(Path.Combine(EpochLog, $"epochs-{Environment.ProcessId}.log"), line);
    }

    /// <summary>Sleeps <paramref name="duration"/> to within a few microseconds: a timed wait alone overshoots by up to a
    /// millisecond, which the overhead benchmark would count against the orchestrator. The last 2 ms are spun.</summary>
    private static void Sleep(TimeSpan duration, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var coarse = duration - TimeSpan.FromMilliseconds(2);
        if (coarse > TimeSpan.Zero && ct.WaitHandle.WaitOne(coarse)) ct.ThrowIfCancellationRequested();
        var spin = new SpinWait();
        while (watch.Elapsed < duration)
        {
            ct.ThrowIfCancellationRequested();
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
