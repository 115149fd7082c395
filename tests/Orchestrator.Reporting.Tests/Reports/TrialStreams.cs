using Orchestrator.Domain.Events;
using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Reporting.Reports;

namespace Orchestrator.Reporting.Tests.Reports;

/// <summary>Hand-made trial journals for report tests: 8 test images of 3 classes.</summary>
public static class TrialStreams
{
    public static readonly int[] Labels = [0, 0, 0, 1, 1, 2, 2, 2];
    public static readonly string[] Classes = ["Normal", "Pneumonia", "COVID-19"];
    private static readonly DataSpec Data = new("no-such-data", null);

    public static TrialSpec Spec(string backbone, Strategy strategy, int seed, int topN = 0) =>
        new("s", backbone, strategy, 0.001, 1, strategy == Strategy.Dynamic ? 1 : 0, strategy == Strategy.Dynamic ? 0.1 : 0, 5,
            topN, 0, StopPolicy.PlateauAfterFullUnfreeze, 10, Optimizer.Adam, 16, 32, seed, Data);

    public static TrialStarted Started(TrialSpec s) =>
        new(s.Strategy, s.Backbone, 4, s.LearningRate, s.Patience, s.Step, s.Decay, s.MaxEpochs, s.FixedTopN, s.StopPolicy, s.MinDelta, s.Seed);

    /// <summary>A completed trial: three epochs (val losses descending to <paramref name="bestValLoss"/> at epoch 2),
    /// dynamic unfreezing 0 -> 1 -> 3, each unfreeze putting back the best weights so far (epoch 1's, then epoch 2's),
    /// and the test result of <paramref name="predictions"/>.</summary>
    public static TrialResults Completed(string id, TrialSpec spec, double bestValLoss, int[] predictions, bool withImages = true)
    {
        var events = new List<TrialEvent> { Started(spec) };
        var dynamic = spec.Strategy == Strategy.Dynamic;
        events.Add(new EpochCompleted(1, 1.2, bestValLoss + 0.2, 0.5, 0.4, 0.001, dynamic ? 0 : spec.FixedTopN, 0, 1));
        if (dynamic) events.AddRange([new GroupsUnfrozen(1, 0, 1, 0.0009), new BestWeightsRestored(1, 1)]);
        events.Add(new EpochCompleted(2, 1.0, bestValLoss, 0.6, 0.5, 0.001, dynamic ? 1 : spec.FixedTopN, 0, 1));
        events.Add(new EpochCompleted(3, 0.9, bestValLoss + 0.1, 0.6, 0.5, 0.001, dynamic ? 1 : spec.FixedTopN, 1, 1));
        if (dynamic) events.AddRange([new GroupsUnfrozen(3, 1, 3, 0.00081), new BestWeightsRestored(3, 2)]);
        events.Add(new TrainingStopped(3, StopReason.EpochBudget));
        var m = ClassificationMetrics.Compute(Labels, predictions, 3);
        events.Add(new TrialCompleted(2, bestValLoss, 3, 0.8, m.Accuracy, m.MacroF1, m.ConfusionMatrix, predictions,
            withImages ? Labels : null,
            withImages ? predictions.Select(p => Enumerable.Range(0, 3).Select(c => c == p ? 0.7f : 0.15f).ToArray()).ToArray() : null,
            withImages ? Classes : null, 1_500_000, 0.25));
        return new TrialResults(id, spec, TrialStatus.Completed, events);
    }

    public static TrialResults Failed(string id, TrialSpec spec, string reason) =>
        new(id, spec, TrialStatus.Failed,
        [
            Started(spec), new AttemptFailed(1, reason), new AttemptFailed(2, reason), new AttemptFailed(3, reason), new TrialFailed(reason),
        ]);

    /// <summary>A trial whose third epoch blew up (as the demo's EfficientNetV2-S trial did): journaled as diverged.</summary>
    public static TrialResults Diverged(string id, TrialSpec spec) =>
        new(id, spec, TrialStatus.Diverged,
        [
            Started(spec),
            new EpochCompleted(1, 1.1, 0.9, 0.5, 0.4, 0.001, spec.FixedTopN, 0, 1), new BestImproved(1, 0.9, "best-e0001.pt", "aa"),
            new EpochCompleted(2, 0.9, 0.8, 0.6, 0.5, 0.001, spec.FixedTopN, 0, 1), new BestImproved(2, 0.8, "best-e0002.pt", "bb"),
            new EpochCompleted(3, 1136, 8424, 0.3, 0.2, 0.001, spec.FixedTopN, 1, 1),
            new TrialDiverged(3, "train loss 1136 exceeds 20, 10 x 2 (the floor of the reference loss)"),
        ]);

    public static TrialResults Running(string id, TrialSpec spec, int epochs) =>
        new(id, spec, TrialStatus.Running,
            [Started(spec), .. Enumerable.Range(1, epochs).Select(e => new EpochCompleted(e, 1, 1, 0.5, 0.5, 0.001, spec.FixedTopN, 0, 1))]);

    public static TrialResults Pending(string id, TrialSpec spec) => new(id, spec, TrialStatus.Pending, []);

    /// <summary>A trial its cell's successive halving pruned after <paramref name="valLosses"/>.Length epochs.</summary>
    public static TrialResults Pruned(string id, TrialSpec spec, params double[] valLosses) =>
        new(id, spec, TrialStatus.Pruned,
        [
            Started(spec),
            .. valLosses.Select((loss, i) => new EpochCompleted(i + 1, loss + 0.1, loss, 0.5, 0.5, 0.001, spec.FixedTopN, 0, 2)),
            new TrialPruned(valLosses.Length, 0, valLosses.Min(), 1),
        ]);
}
