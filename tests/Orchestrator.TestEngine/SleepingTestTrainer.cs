using System.Diagnostics;
using System.Globalization;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;

namespace Orchestrator.TestEngine;

/// <summary>
/// TEST ENGINE, never for real sweeps: trains nothing. Each epoch only sleeps, then reports a validation loss
/// from a fixed script; "weights" and checkpoints are the fake engines' (<see cref="FakeCheckpointTrainer"/>).
/// The fault tests and the orchestration-overhead benchmark use it, so that they measure the orchestrator and
/// not libtorch. It is not part of the product: a process loads it only as an engine plugin
/// (<c>ORCHESTRATOR_ENGINE_PLUGIN</c>, see <see cref="SleepingEngine"/>), and says so.
/// </summary>
public sealed class SleepingTestTrainer(int groups, TimeSpan epochTime, IReadOnlyList<double> losses, string? trialId = null)
    : FakeCheckpointTrainer, ITrainer
{
    /// <summary>A folder (set by the nemesis harness, tests/nemesis): every epoch this process trains appends one line
    /// "TRIAL PID START_MS END_MS" (Unix milliseconds, wall clock) to <c>epochs-PID.log</c> in it, so that a checker can
    /// tell whether two attempts of one trial ever trained at the same time. Unset: nothing is written.</summary>
    public const string EpochLogVariable = "ORCHESTRATOR_TEST_ENGINE_EPOCH_LOG";

    private static readonly string? EpochLog = Environment.GetEnvironmentVariable(EpochLogVariable) is { Length: > 0 } d ? d : null;
    private static readonly Lock EpochLogLock = new();

    public int GroupCount => groups;

    public void SetTrainable(int unfrozenGroups) { }
    public void SetLearningRate(double learningRate) { }
    public void ResetOptimizer() { }
    // Like the libtorch engine, it takes any set of groups at any rates, and either BatchNorm policy: it trains nothing.
    public void SetTrainableGroups(Domain.Strategies.GroupSet groups, double learningRate, double discriminative) { }
    public void SetBatchNormUpdates(bool update) { }

    public double TrainEpoch(IPackedDataset data, ReadOnlySpan<int> sampleOrder, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            Sleep(epochTime, ct);
        }
        finally
        {
            LogEpoch(started); // a cancelled epoch trained until its cancellation too
        }
        Epoch++;
        Weights = Epoch;
        progress?.Invoke(new BatchProgress(1, 1, LossOf(Epoch)));
        return LossOf(Epoch) + 0.1;
    }

    public EvaluationResult Evaluate(IPackedDataset data, ReadOnlySpan<int> indices, ReadOnlySpan<float> classWeights, int batchSize,
        Action<BatchProgress>? progress, CancellationToken ct)
    {
        var predictions = new int[indices.Length];
        var probabilities = new float[indices.Length][];
        for (var i = 0; i < indices.Length; i++)
        {
            predictions[i] = data.Labels[indices[i]];
            probabilities[i] = new float[classWeights.Length];
            probabilities[i][predictions[i]] = 1f;
        }
        return new EvaluationResult(LossOf(Epoch), predictions, probabilities);
    }

    public void CalibrateBatchNorm(IPackedDataset data, ReadOnlySpan<int> indices, int batchSize, Action<BatchProgress>? progress, CancellationToken ct) { }

    /// <summary>Checks the file is there, as the real engine would fail on a missing one; loads nothing.</summary>
    public int LoadBackboneWeights(string path) =>
        File.Exists(path) ? 0 : throw new FileNotFoundException($"pretrained weights not found: {path}", path);

    public void Dispose() { }

    private void LogEpoch(long startedMs)
    {
        if (EpochLog is null || trialId is null) return;
        var line = FormattableString.Invariant($"{trialId} {Environment.ProcessId} {startedMs} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n");
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

    /// <summary>The scripted loss of an epoch (1-based); the last value repeats.</summary>
    private double LossOf(int epoch) => epoch <= 0 ? double.NaN : losses[Math.Min(epoch, losses.Count) - 1];
}

/// <summary>The plugin: its epochs sleep and report scripted losses, as <c>ORCHESTRATOR_TEST_ENGINE=sleep:SECONDS[:LOSS,LOSS,...]</c>
/// says (default: 0.1 s, <see cref="DefaultLosses"/>).</summary>
public sealed class SleepingEngine : ITrainerSource
{
    private readonly (TimeSpan EpochTime, IReadOnlyList<double> Losses) _settings =
        FromEnvironment() ?? (TimeSpan.FromSeconds(0.1), DefaultLosses);

    public string Description =>
        $"TEST ENGINE: epochs sleep {_settings.EpochTime.TotalSeconds:G3}s and report scripted losses; nothing is trained";

    public ITrainer Create(TrialSpec spec, int classes) => new SleepingTestTrainer(4, _settings.EpochTime, _settings.Losses, Ids.TrialId(spec).Value);

    public const string Variable = "ORCHESTRATOR_TEST_ENGINE";

    /// <summary>Improves for three epochs, then plateaus: with patience 1-2 it unfreezes, restores and stops.</summary>
    public static readonly IReadOnlyList<double> DefaultLosses = [1.0, 0.8, 0.7, 0.7, 0.7, 0.65, 0.65, 0.65, 0.65, 0.65];

    /// <summary>The settings the variable gives, or null when it is not set.</summary>
    /// <exception cref="FormatException">The variable is set but malformed.</exception>
    private static (TimeSpan EpochTime, IReadOnlyList<double> Losses)? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(value)) return null;
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0] != "sleep"
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            throw new FormatException($"${Variable}='{value}': expected sleep:SECONDS[:LOSS,LOSS,...]");
        var losses = DefaultLosses;
        if (parts.Length == 3)
        {
            var parsed = parts[2].Split(',').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : double.NaN).ToList();
            if (parsed.Count == 0 || parsed.Any(double.IsNaN))
                throw new FormatException($"${Variable}='{value}': the losses must be numbers separated by commas");
            losses = parsed;
        }
        return (TimeSpan.FromSeconds(seconds), losses);
    }
}
