using Orchestrator.TestEngine;
using System.Collections.Concurrent;
using Orchestrator.Catalogue;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Trials;

namespace Orchestrator.Runtime.Tests;

/// <summary>Collects the notes a run makes.</summary>
public sealed class NoteRecorder : IRunObserver
{
    public ConcurrentQueue<string> Notes { get; } = new();
    public void SweepPlanned(SweepId sweepId, int trials, int newTrials, int alreadyEnded) { }
    public void TrialClaimed(string slot, TrialId trialId, TrialSpec spec, TrialState state) { }
    public void BatchProgress(string slot, TrialId trialId, string phase, int epoch, BatchProgress progress) { }
    public void EventsJournaled(string slot, TrialId trialId, IReadOnlyList<TrialEvent> events) { }
    public void TrialEnded(string slot, TrialId trialId, TrialExit exit, TrialState state) { }
    public void Note(string message) => Notes.Enqueue(message);
}

public class CheckpointFallbackTests
{
    private const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters: { patience: [2], step: [2], decay: [0.1], epochs: [10] }
        """;

    private static double Loss(int epoch) => epoch <= 3 ? 1.0 / epoch : 0.5;

    // captures: the checkpoints were taken in memory and written by the slot's commit.
    [Theory]
    [InlineData("corrupt", false)]
    [InlineData("missing", false)]
    [InlineData("corrupt", true)]
    public async Task An_unreadable_newest_checkpoint_falls_back_to_the_previous_verified_one_without_repeating_an_epoch(string damage, bool captures)
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var trialId = fx.Sweep.Trials.Single().Id;
        await StopAtEpochAsync(fx, 6, captures);

        var journaled = TrialEvolution.Replay(await fx.EffectiveAsync(trialId.Value));
        journaled.EpochsDone.Should().Be(5);
        var newest = Path.Combine(fx.Artifacts, trialId.Value, journaled.LatestCheckpoint!);
        if (damage == "corrupt") await File.AppendAllTextAsync(newest, " ");
        else File.Delete(newest);

        FakeTrainer? resumed = null;
        var notes = new NoteRecorder();
        (await fx.RunAsync((_, _, _) => { var t = new FakeTrainer(4, Loss); resumed ??= t; return t; }, workers: 1, observer: notes))
            .Single().Status.Should().Be(TrialStatus.Completed);

        resumed!.Calls.Should().ContainInOrder("load 4", "train 5");
        resumed.Calls.Should().NotContain("load 5");
        notes.Notes.Should().ContainSingle(n => n.Contains(journaled.LatestCheckpoint!) && n.Contains("previous good one") && n.Contains("epoch 4"));
        var events = await fx.EffectiveAsync(trialId.Value);
        var epochs = events.OfType<EpochCompleted>().Select(e => e.Epoch).ToList();
        epochs.Should().Equal(Enumerable.Range(1, epochs.Count), "the epoch numbering goes on from the journal");
        epochs.Should().HaveCountGreaterThan(5);
        TrialAudit.Violations(events).Should().BeEmpty();
        events.OfType<AttemptFailed>().Should().BeEmpty("the fallback is not a failed attempt");
    }

    [Fact]
    public async Task With_no_readable_checkpoint_left_the_attempt_fails_and_says_why()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var trialId = fx.Sweep.Trials.Single().Id;
        await StopAtEpochAsync(fx, 4);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(fx.Artifacts, trialId.Value), "epoch-*.pt")) await File.AppendAllTextAsync(file, " ");

        (await fx.RunAsync((_, _, _) => new FakeTrainer(4, Loss), workers: 1)).Single().Status.Should().Be(TrialStatus.Failed);

        var events = await fx.EffectiveAsync(trialId.Value);
        events.OfType<AttemptFailed>().Should().HaveCount(3).And.OnlyContain(a => a.Reason.Contains("SHA-256 mismatch"));
        events.Last().Should().BeOfType<TrialFailed>().Which.Reason.Should().Contain("3 attempts failed");
    }

    /// <summary>Runs the sweep's one trial until the engine starts epoch <paramref name="epoch"/>, then stops the run
    /// there (that epoch is dropped).</summary>
    private static async Task StopAtEpochAsync(SweepFixture fx, int epoch, bool captures = false)
    {
        using var crash = new CancellationTokenSource();
        TrainerFactory trainers = (_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e => { if (e == epoch) crash.Cancel(); },
            HangAtEpoch = epoch,
            Captures = captures,
        };
        await FluentActions.Awaiting(() => fx.RunAsync(trainers, workers: 1, ct: crash.Token)).Should().ThrowAsync<OperationCanceledException>();
    }
}
