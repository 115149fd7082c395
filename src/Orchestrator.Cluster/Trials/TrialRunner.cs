using System.Diagnostics;
using Orchestrator.Cluster.Runtime;
using Orchestrator.Domain.Data;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Metrics;
using Orchestrator.Domain.Sampling;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Engine.Training;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Trials;

public enum TrialRunOutcome { Completed, Failed, Released, LeaseLost, Cancelled, SweepCancelled }

/// <summary>The trial's sweep was cancelled: the runner stops at the epoch boundary, keeping the journal and checkpoints.</summary>
public sealed class SweepCancelledException(string sweepId) : Exception($"sweep {sweepId} was cancelled");

/// <summary>Builds the engine for a trial; a seam so tests and benchmarks can plug in another engine.</summary>
public delegate ITrainer TrainerFactory(TrialSpec spec, int classes);

/// <summary>
/// Runs one claimed trial to its end. It rebuilds the trial's state from the journal, loads the checkpoints
/// the journal names, then per epoch: trains, validates, asks the decider, performs the effects and writes
/// the resulting checkpoint files; while the next epoch trains, it flushes those files and appends the epoch's
/// events in one fenced append. The append is the commit point: a crash before it loses only unjournaled work,
/// which is redone from the previous checkpoint, so no journaled epoch is ever trained twice.
/// </summary>
public sealed class TrialRunner(
    IOrchestratorStore store,
    string artifactRoot,
    DatasetCache datasets,
    TrainerFactory trainers,
    IRunObserver observer,
    TimeProvider clock,
    TimeSpan leaseDuration,
    int maxAttempts = 3,
    IArtifactBlobs? blobs = null)
{
    public async Task<TrialRunOutcome> RunAsync(string slot, TrialLease lease, TrialSpec spec, CancellationToken ct)
    {
        await using var keeper = new LeaseKeeper(store, lease, leaseDuration, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, keeper.Lost);
        TrialJournal? journal = null;
        try
        {
            journal = await TrialJournal.LoadAsync(store, lease, clock, linked.Token);
            observer.TrialClaimed(slot, lease.TrialId, spec, journal.State);
            await RunTrialAsync(slot, lease, spec, journal, linked.Token);
            var status = journal.State.Phase == TrialPhase.Completed ? TrialStatus.Completed : TrialStatus.Failed;
            await store.FinishTrialAsync(lease, status, clock.GetUtcNow(), CancellationToken.None);
            observer.TrialEnded(slot, lease.TrialId, journal.State);
            return status == TrialStatus.Completed ? TrialRunOutcome.Completed : TrialRunOutcome.Failed;
        }
        catch (Exception ex) when (ex is StaleLeaseException or ConcurrencyException || keeper.Lost.IsCancellationRequested)
        {
            observer.Note($"{lease.TrialId}: lease lost ({ex.Message}); stopping, another slot carries on");
            return TrialRunOutcome.LeaseLost;
        }
        catch (SweepCancelledException ex)
        {
            await store.FinishTrialAsync(lease, TrialStatus.Cancelled, clock.GetUtcNow(), CancellationToken.None);
            observer.Note($"{lease.TrialId}: {ex.Message}; stopped after epoch {journal?.State.EpochsDone}, its journal and checkpoints are kept");
            return TrialRunOutcome.SweepCancelled;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await store.ReleaseTrialAsync(lease, clock.GetUtcNow(), CancellationToken.None);
            return TrialRunOutcome.Cancelled;
        }
        catch (Exception ex)
        {
            return await FailOrReleaseAsync(slot, lease, journal, ex);
        }
    }

    /// <summary>Journals the broken attempt; the trial is retried until <c>maxAttempts</c> attempts have failed.</summary>
    private async Task<TrialRunOutcome> FailOrReleaseAsync(string slot, TrialLease lease, TrialJournal? journal, Exception ex)
    {
        var reason = $"{ex.GetType().Name}: {ex.Message}";
        if (journal is null)
        {
            observer.Note($"{lease.TrialId}: could not read its journal ({reason}); it will be retried");
            await store.ReleaseTrialAsync(lease, clock.GetUtcNow(), CancellationToken.None);
            return TrialRunOutcome.Released;
        }
        await journal.AppendAsync([new AttemptFailed(journal.State.FailedAttempts + 1, reason)], CancellationToken.None);
        if (journal.State.FailedAttempts < maxAttempts)
        {
            observer.Note($"{lease.TrialId}: attempt failed ({journal.State.FailedAttempts} of {maxAttempts}): {reason}; it will be retried");
            await store.ReleaseTrialAsync(lease, clock.GetUtcNow(), CancellationToken.None);
            return TrialRunOutcome.Released;
        }
        await journal.AppendAsync([new TrialFailed($"{reason} ({maxAttempts} attempts failed)")], CancellationToken.None);
        await store.FinishTrialAsync(lease, TrialStatus.Failed, clock.GetUtcNow(), CancellationToken.None);
        observer.TrialEnded(slot, lease.TrialId, journal.State);
        return TrialRunOutcome.Failed;
    }

    /// <param name="ct">Stops the trial: a stop request, or the lease keeper's verdict that the lease is lost. Neither
    /// stops a commit under way: a stop waits for it (the epoch is kept), and a late commit goes to the store, which
    /// takes it while the lease is ours and refuses it after a takeover. The store's own retry limit bounds it.</param>
    private async Task RunTrialAsync(string slot, TrialLease lease, TrialSpec spec, TrialJournal journal, CancellationToken ct)
    {
        if (journal.State.Phase is TrialPhase.Completed or TrialPhase.Failed) return;

        var data = datasets.Get(spec.Data.Path);
        var split = new SplitView(data);
        var classes = data.Manifest.Classes.Count;
        // Validation and test losses are plain means, as Keras (the paper's framework) reports val_loss: class
        // weights shape the training loss only.
        var weights = Enumerable.Repeat(1f, classes).ToArray();
        var artifacts = new TrialArtifacts(artifactRoot, lease.TrialId, blobs);
        artifacts.EnsureExists();
        await artifacts.FetchAsync(journal.Checkpoints.TakeLast(2).Select(c => (c.Checkpoint, c.Sha256))
            .Concat(journal.State.BestCheckpoint is { } best ? [(best, journal.State.BestSha256!)] : []), ct);

        using var trainer = trainers(spec, classes);
        trainer.ConfigureInput(data, split.Train, InputSettings.For(spec, split.TrainLabels, classes));
        if (journal.State.Phase == TrialPhase.NotStarted)
            await journal.AppendAsync([TrialDecider.Start(spec, trainer.GroupCount)], ct);
        if (journal.State.LatestCheckpoint is null)
        {
            if (spec.Weights is not null)
            {
                trainer.LoadBackboneWeights(spec.Weights);
            }
            else
            {
                // Without pretrained weights, BatchNorm statistics come from the training images once; the seeded
                // initialisation makes this repeatable after a crash before the first checkpoint.
                trainer.CalibrateBatchNorm(data, split.Train, spec.BatchSize,
                    p => observer.BatchProgress(slot, lease.TrialId, "batchnorm", 0, p), ct);
            }
        }
        Restore(trainer, journal, artifacts, slot);

        // Each epoch's commit (flush its checkpoint files, append its events, prune old files) runs while the next
        // epoch trains. The next epoch is decided against the state those events lead to; should the commit fail
        // (a lost lease, say), the next epoch's work is dropped with it, never journaled.
        var planned = journal.State;
        var committing = Task.CompletedTask;
        // Whether the sweep was cancelled, looked up while an epoch trains (so the look costs no time) and answered
        // for the next: a cancel seen there stops the next epoch at once, and that epoch is never journaled. A cancel
        // that came during an epoch's training thus ends the trial with that epoch journaled.
        var cancelLook = store.IsSweepCancelledAsync(lease.SweepId, ct);
        try
        {
            while (planned.Phase == TrialPhase.Training)
            {
                ct.ThrowIfCancellationRequested();
                var epoch = planned.EpochsDone + 1;
                var watch = Stopwatch.StartNew();
                var plan = EpochPlan.For(spec.ClassBalance, split.Train, split.TrainLabels, classes, spec.Seed, epoch);
                trainer.BeginEpoch(epoch);
                var trainLoss = double.NaN;
                using (var epochStop = CancellationTokenSource.CreateLinkedTokenSource(ct))
                {
                    var stopIfCancelled = StopIfCancelledAsync(cancelLook, epochStop);
                    try
                    {
                        trainLoss = trainer.TrainEpoch(data, plan.Order, plan.LossWeights, spec.BatchSize,
                            p => observer.BatchProgress(slot, lease.TrialId, "train", epoch, p), epochStop.Token);
                    }
                    catch (OperationCanceledException) when (epochStop.IsCancellationRequested && !ct.IsCancellationRequested)
                    {
                        // Stopped by the cancel look; handled below.
                    }
                    await stopIfCancelled;
                }
                if (await cancelLook)
                {
                    await committing;
                    throw new SweepCancelledException(lease.SweepId);
                }
                cancelLook = store.IsSweepCancelledAsync(lease.SweepId, ct);
                var validation = trainer.Evaluate(data, split.Val, weights, spec.BatchSize,
                    p => observer.BatchProgress(slot, lease.TrialId, "val", epoch, p), ct);
                var metrics = ClassificationMetrics.Compute(split.ValLabels, validation.Predictions, classes);
                var outcome = new EpochOutcome(trainLoss, validation.Loss, metrics.Accuracy, metrics.MacroF1, watch.Elapsed.TotalSeconds);
                var decided = TrialDecider.DecideEpoch(planned, outcome);

                // The previous commit prunes files by what is journaled: it must end before this epoch's files exist.
                await committing;
                var events = ApplyEffects(trainer, artifacts, decided);
                planned = events.Aggregate(planned, TrialEvolution.Evolve);
                committing = Task.Run(() => CommitAsync(slot, journal, artifacts, events), CancellationToken.None);
            }
            trainer.Dispose();
            // The test split is evaluated while the last epoch commits; its result is journaled after it.
            var result = planned.Phase == TrialPhase.Stopped ? Evaluate(slot, lease.TrialId, spec, data, split, weights, planned, artifacts, ct) : null;
            await committing;
            if (result is not null) await journal.AppendAsync([result], ct);
        }
        catch
        {
            // Nothing may be written under this lease once the runner gives it up (release, finish, failure), so the
            // commit under way ends first. If the store refused it, that verdict is the reason the trial stops.
            try
            {
                await committing;
            }
            catch (Exception refused) when (refused is StaleLeaseException or ConcurrencyException)
            {
                throw;
            }
            catch (Exception) when (!committing.IsCompletedSuccessfully)
            {
                // The loop's own failure is reported below; the commit failed for the same cause.
            }
            throw;
        }
    }

    private static async Task StopIfCancelledAsync(Task<bool> sweepCancelled, CancellationTokenSource epochStop)
    {
        if (await sweepCancelled.ConfigureAwait(false)) await epochStop.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>Makes an epoch's files durable, appends its events (the commit point), then deletes the files the
    /// journal no longer points at; the previous checkpoint stays as the fallback should the newest one turn out
    /// unreadable.</summary>
    private async Task CommitAsync(string slot, TrialJournal journal, TrialArtifacts artifacts, IReadOnlyList<TrialEvent> events)
    {
        await artifacts.SecureAsync(events, CancellationToken.None);
        await journal.AppendAsync(events, CancellationToken.None);
        observer.EventsJournaled(slot, journal.TrialId, events);
        var previous = journal.Checkpoints.Count > 1 ? journal.Checkpoints[^2].Checkpoint : null;
        await artifacts.PruneAsync([journal.State.LatestCheckpoint, previous, journal.State.BestCheckpoint], CancellationToken.None);
    }

    /// <summary>Puts the engine where the journal says the trial is: trainable groups, rate, weights, best weights.
    /// Each checkpoint's SHA-256 is verified by the engine before it is loaded. When the newest one is missing or
    /// unreadable, the previous verified one is loaded instead: training goes on from those weights with the next
    /// epoch, so no journaled epoch is repeated, and only the unreadable epoch's weight update is lost.</summary>
    private void Restore(ITrainer trainer, TrialJournal journal, TrialArtifacts artifacts, string slot)
    {
        var state = journal.State;
        trainer.SetTrainable(state.UnfrozenGroups);
        trainer.SetLearningRate(state.LearningRate);
        if (state.LatestCheckpoint is not null)
        {
            Exception? newestFailure = null;
            foreach (var checkpoint in journal.Checkpoints.Reverse())
            {
                try
                {
                    trainer.LoadCheckpoint(artifacts.PathOf(checkpoint.Checkpoint), checkpoint.Sha256);
                    if (newestFailure is not null)
                        observer.Note($"[{slot}] {journal.TrialId}: checkpoint {state.LatestCheckpoint} is unreadable ({newestFailure.Message}); " +
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
            trainer.LoadBest(artifacts.PathOf(state.BestCheckpoint), state.BestSha256!);
    }

    /// <summary>Performs what the decided events call for, in order, and completes them with the checkpoint
    /// hashes; adds the resumable checkpoint of this epoch unless training stopped.</summary>
    private static List<TrialEvent> ApplyEffects(ITrainer trainer, TrialArtifacts artifacts, IReadOnlyList<TrialEvent> decided)
    {
        var events = new List<TrialEvent>(decided.Count + 1);
        var epoch = 0;
        var stopped = false;
        foreach (var e in decided)
        {
            switch (e)
            {
                case EpochCompleted completed:
                    epoch = completed.Epoch;
                    events.Add(e);
                    break;
                case BestImproved best:
                    trainer.RememberBest();
                    events.Add(best with { Sha256 = trainer.SaveBest(artifacts.PathOf(best.Checkpoint)) });
                    break;
                case GroupsUnfrozen unfrozen:
                    trainer.SetTrainable(unfrozen.To);
                    trainer.SetLearningRate(unfrozen.LearningRate);
                    trainer.ResetOptimizer();
                    events.Add(e);
                    break;
                case BestWeightsRestored:
                    trainer.RestoreBest();
                    events.Add(e);
                    break;
                case TrainingStopped:
                    stopped = true;
                    events.Add(e);
                    break;
                default:
                    events.Add(e);
                    break;
            }
        }
        if (!stopped)
        {
            var name = CheckpointNames.Latest(epoch);
            events.Add(new CheckpointSaved(epoch, name, trainer.SaveCheckpoint(artifacts.PathOf(name), epoch)));
        }
        return events;
    }

    /// <summary>Loads the best weights from their file into a fresh model, timing the load (Tables 3 and 4 report
    /// load time for inference), and evaluates that model on the test split, so the figures are those of the
    /// saved file.</summary>
    private TrialEvent Evaluate(string slot, string trialId, TrialSpec spec, IPackedDataset data, SplitView split,
        float[] weights, TrialState state, TrialArtifacts artifacts, CancellationToken ct)
    {
        if (state.BestEpoch == 0 || state.BestCheckpoint is null)
            return new TrialFailed("no epoch produced a finite validation loss");
        var classes = data.Manifest.Classes.Count;
        var bestFile = artifacts.PathOf(state.BestCheckpoint);
        var watch = Stopwatch.StartNew();
        using var model = trainers(spec, classes);
        model.LoadBest(bestFile, state.BestSha256!);
        model.RestoreBest();
        var loadSeconds = watch.Elapsed.TotalSeconds;
        // The same input pipeline as in training (outside the load time: z-score statistics are a pass over the data).
        model.ConfigureInput(data, split.Train, InputSettings.For(spec, split.TrainLabels, classes));

        var test = model.Evaluate(data, split.Test, weights, spec.BatchSize,
            p => observer.BatchProgress(slot, trialId, "test", state.EpochsDone, p), ct);
        var metrics = ClassificationMetrics.Compute(split.TestLabels, test.Predictions, classes);
        return new TrialCompleted(state.BestEpoch, state.BestValLoss, state.EpochsDone, test.Loss,
            metrics.Accuracy, metrics.MacroF1, metrics.ConfusionMatrix, test.Predictions,
            split.TestLabels, test.Probabilities, [.. data.Manifest.Classes], new FileInfo(bestFile).Length, loadSeconds);
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
