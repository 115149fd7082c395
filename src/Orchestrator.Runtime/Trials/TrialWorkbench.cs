using System.Diagnostics;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Strategies;
using Orchestrator.Domain.Trials;
using Orchestrator.Domain.Training;

namespace Orchestrator.Runtime.Trials;

/// <summary>
/// The engine side of one trial: the model, its data and its checkpoint folder. Every method blocks (libtorch,
/// disk) and runs on the trial's <see cref="TrainerThread"/>, never on an actor thread; the trial actor decides and
/// journals, this performs.
/// </summary>
internal sealed class TrialWorkbench : IDisposable
{
    private readonly string _slot;
    private readonly TrialId _trialId;
    private readonly TrialSpec _spec;
    private readonly TrialServices _services;
    private readonly TrialArtifacts _artifacts;
    private readonly IPackedDataset _data;
    private readonly SplitView _split;
    private readonly float[] _evalWeights;
    private ITrainer? _trainer;

    public TrialWorkbench(string slot, TrialId trialId, TrialSpec spec, TrialServices services, TrialArtifacts artifacts)
    {
        _slot = slot;
        _trialId = trialId;
        _spec = spec;
        _services = services;
        _artifacts = artifacts;
        _data = services.Datasets.Get(spec.Data.Path);
        _split = new SplitView(_data);
        // Validation and test losses are plain means, as Keras (the paper's framework) reports val_loss: class
        // weights shape the training loss only.
        _evalWeights = Enumerable.Repeat(1f, Classes).ToArray();
    }

    private int Classes => _data.Manifest.Classes.Count;

    private ITrainer Trainer => _trainer ?? throw new InvalidOperationException("the trial's model is not prepared");

    /// <summary>Builds the model and puts it where the journal says the trial is. Returns the <see cref="TrialStarted"/>
    /// a trial that had not started yet must journal first (null otherwise).</summary>
    public TrialStarted? Prepare(TrialState state, IReadOnlyList<CheckpointSaved> checkpoints, CancellationToken ct)
    {
        _artifacts.EnsureExists();
        _artifacts.FetchAsync(checkpoints.TakeLast(2).Select(c => (c.Checkpoint, c.Sha256))
            .Concat(state.BestCheckpoint is { } best ? [(best, state.BestSha256!)] : []), ct).GetAwaiter().GetResult();

        _trainer = _services.Trainers(_spec, Classes, _slot);
        _trainer.ConfigureInput(_data, _split.Train, InputSettings.For(_spec, _split.TrainLabels, Classes));
        TrialStarted? started = null;
        if (state.Phase == TrialPhase.NotStarted)
        {
            started = TrialDecider.Start(_spec, _trainer.GroupCount) with { Attempt = state.Attempt };
            state = TrialEvolution.Evolve(state, started);
        }
        if (state.LatestCheckpoint is null)
        {
            if (_spec.Weights is not null)
            {
                _trainer.LoadBackboneWeights(_spec.Weights);
            }
            else
            {
                // Without pretrained weights, BatchNorm statistics come from the training images once; the seeded
                // initialisation makes this repeatable after a crash before the first checkpoint.
                _trainer.CalibrateBatchNorm(_data, _split.Train, _spec.BatchSize,
                    p => _services.Observer.BatchProgress(_slot, _trialId, "batchnorm", 0, p), ct);
            }
        }
        Restore(state, checkpoints);
        return started;
    }

    /// <summary>Trains epoch <c>state.EpochsDone + 1</c> and validates it.</summary>
    public EpochOutcome TrainEpoch(TrialState state, CancellationToken ct)
    {
        var epoch = state.EpochsDone + 1;
        var watch = Stopwatch.StartNew();
        Trainer.TakeFeatureCacheCounters();  // what an earlier pass (the batchnorm calibration) counted is not this epoch's
        var plan = EpochPlan.For(_spec.ClassBalance, _split.Train, _split.TrainLabels, Classes, _spec.Seed, epoch);
        Trainer.BeginEpoch(epoch);
        var trainLoss = Trainer.TrainEpoch(_data, plan.Order, plan.LossWeights, _spec.BatchSize,
            p => _services.Observer.BatchProgress(_slot, _trialId, "train", epoch, p), ct);
        ct.ThrowIfCancellationRequested();
        var validation = Trainer.Evaluate(_data, _split.Val, _evalWeights, _spec.BatchSize,
            p => _services.Observer.BatchProgress(_slot, _trialId, "val", epoch, p), ct);
        var metrics = ClassificationMetrics.Compute(_split.ValLabels, validation.Predictions, Classes);
        return new EpochOutcome(trainLoss, validation.Loss, metrics.Accuracy, metrics.MacroF1, watch.Elapsed.TotalSeconds,
            Trainer.TakeFeatureCacheCounters());
    }

    /// <summary>Performs the decision's effects in order and reports the files they save, from which the epoch's
    /// events are made. A trainer that captures its checkpoints in memory leaves their files to be written by the
    /// commit (<see cref="PerformedEffects.Writes"/>), unless <paramref name="writeNow"/>; one that does not writes them
    /// now. Either way they are not flushed yet: <see cref="TrialArtifacts.SecureAsync"/> does that before the events
    /// are journaled.</summary>
    public PerformedEffects Perform(EpochDecision decision, bool writeNow = false)
    {
        SavedFile? best = null, checkpoint = null;
        var writes = new List<CheckpointWrite>(2);
        SavedFile Save(string name, CheckpointImage? image, Func<string, string> saveNow)
        {
            if (image is null) return new SavedFile(name, saveNow(_artifacts.PathOf(name)));
            writes.Add(new CheckpointWrite(name, image));
            return new SavedFile(name, image.Sha256);
        }
        foreach (var effect in decision.Effects())
        {
            switch (effect)
            {
                case EpochEffect.SaveBest save:
                    Trainer.RememberBest();
                    best = Save(save.Checkpoint, Trainer.CaptureBest(), Trainer.SaveBest);
                    break;
                case EpochEffect.Unfreeze unfreeze:
                    Trainer.SetTrainableGroups(unfreeze.Trainable ?? GroupSet.Deepest(unfreeze.To, Trainer.GroupCount),
                        unfreeze.LearningRate, unfreeze.Discriminative);
                    if (unfreeze.ResetOptimizer) Trainer.ResetOptimizer();
                    break;
                case EpochEffect.RestoreBest:
                    Trainer.RestoreBest();
                    break;
                case EpochEffect.SaveCheckpoint save:
                    checkpoint = Save(save.Checkpoint, Trainer.CaptureCheckpoint(save.Epoch), path => Trainer.SaveCheckpoint(path, save.Epoch));
                    break;
                default:
                    throw new InvalidOperationException($"unknown effect {effect.GetType().Name}");
            }
        }
        if (!writeNow) return new PerformedEffects(new EffectResults(best, checkpoint), writes);
        _artifacts.Write(writes);
        return new PerformedEffects(new EffectResults(best, checkpoint), []);
    }

    /// <summary>Loads the best weights from their file into a fresh model, timing the load (Tables 3 and 4 report
    /// load time for inference), and evaluates that model on the test split, so the figures are those of the
    /// saved file.</summary>
    public TrialEvent Evaluate(TrialState state, CancellationToken ct)
    {
        _trainer?.Dispose();
        _trainer = null;
        if (state.BestEpoch == 0 || state.BestCheckpoint is null)
            return new TrialFailed("no epoch produced a finite validation loss");
        var bestFile = _artifacts.PathOf(state.BestCheckpoint);
        var watch = Stopwatch.StartNew();
        using var model = _services.Trainers(_spec, Classes, _slot);
        model.LoadBest(bestFile, state.BestSha256!);
        model.RestoreBest();
        var loadSeconds = watch.Elapsed.TotalSeconds;
        // The same input pipeline as in training (outside the load time: z-score statistics are a pass over the data).
        model.ConfigureInput(_data, _split.Train, InputSettings.For(_spec, _split.TrainLabels, Classes));

        var test = model.Evaluate(_data, _split.Test, _evalWeights, _spec.BatchSize,
            p => _services.Observer.BatchProgress(_slot, _trialId, "test", state.EpochsDone, p), ct);
        var metrics = ClassificationMetrics.Compute(_split.TestLabels, test.Predictions, Classes);
        return new TrialCompleted(state.BestEpoch, state.BestValLoss, state.EpochsDone, test.Loss,
            metrics.Accuracy, metrics.MacroF1, metrics.ConfusionMatrix, test.Predictions,
            _split.TestLabels, test.Probabilities, [.. _data.Manifest.Classes], new FileInfo(bestFile).Length, loadSeconds);
    }

    /// <summary>Moves the result's per-image test outputs out of the event into their durable file (named by its
    /// SHA-256), which the event names instead: the journal row stays small, and the file is there before the row.</summary>
    public TrialCompleted StoreTestOutputs(TrialCompleted result, int attempt, CancellationToken ct)
    {
        if (result is not { TestLabels: { } labels, TestPredictions: { } predictions, TestProbabilities: { } probabilities }) return result;
        var file = _artifacts.SecureTestOutputsAsync(new TestOutputs(labels, predictions, probabilities), attempt, ct).GetAwaiter().GetResult();
        return result with { TestLabels = null, TestPredictions = null, TestProbabilities = null, TestOutputs = file };
    }

    /// <summary>Puts the engine where the journal says the trial is: trainable groups, rate, weights, best weights.
    /// Each checkpoint's SHA-256 is verified by the engine before it is loaded. When the newest one is missing or
    /// unreadable, the previous verified one is loaded instead: training goes on from those weights with the next
    /// epoch, so no journaled epoch is repeated, and only the unreadable epoch's weight update is lost.</summary>
    private void Restore(TrialState state, IReadOnlyList<CheckpointSaved> checkpoints)
    {
        var plan = state.Plan();
        var phase = plan[state.CurrentPhase(plan)];
        Trainer.SetBatchNormUpdates(plan.BatchNorm == BatchNormPolicy.Updated);
        Trainer.SetTrainableGroups(phase.Trains, state.LearningRate, phase.Discriminative);
        if (state.LatestCheckpoint is not null)
        {
            Exception? newestFailure = null;
            foreach (var checkpoint in checkpoints.Reverse())
            {
                try
                {
                    Trainer.LoadCheckpoint(_artifacts.PathOf(checkpoint.Checkpoint), checkpoint.Sha256);
                    if (newestFailure is not null)
                        _services.Observer.Note($"[{_slot}] {_trialId}: checkpoint {state.LatestCheckpoint} is unreadable ({newestFailure.Message}); " +
                                                $"resumed from the previous good one, {checkpoint.Checkpoint} (epoch {checkpoint.Epoch})");
                    newestFailure = null;
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    newestFailure ??= ex;
                }
            }
            if (newestFailure is not null) throw newestFailure;
        }
        if (state.BestCheckpoint is not null)
            Trainer.LoadBest(_artifacts.PathOf(state.BestCheckpoint), state.BestSha256!);
    }

    public void Dispose()
    {
        _trainer?.Dispose();
        _trainer = null;
    }

    /// <summary>The dataset's three splits as index lists with their labels.</summary>
    private sealed class SplitView
    {
        public SplitView(IPackedDataset data)
        {
            Train = [.. data.IndicesOf(Splits.Train)];
            Val = [.. data.IndicesOf(Splits.Validation)];
            Test = [.. data.IndicesOf(Splits.Test)];
            if (Train.Length == 0 || Val.Length == 0 || Test.Length == 0)
                throw new InvalidDataException($"dataset {data.Manifest.Images}: every split needs images (train {Train.Length}, val {Val.Length}, test {Test.Length})");
            TrainLabels = Train.Select(i => data.Labels[i]).ToArray();
            ValLabels = Val.Select(i => data.Labels[i]).ToArray();
            TestLabels = Test.Select(i => data.Labels[i]).ToArray();
        }

        public int[] Train { get; }
        public int[] Val { get; }
        public int[] Test { get; }
        public int[] TrainLabels { get; }
        public int[] ValLabels { get; }
        public int[] TestLabels { get; }
    }
}
