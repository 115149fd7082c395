using System.Collections.Concurrent;
using Orchestrator.Cluster.Runtime;
using Orchestrator.Cluster.Trials;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Engine.Training;
using Orchestrator.Store;

namespace Orchestrator.Cluster.Tests;

/// <summary>Collects the notes a run makes.</summary>
public sealed class NoteRecorder : IRunObserver
{
    public ConcurrentQueue<string> Notes { get; } = new();
    public void SweepPlanned(string sweepId, int trials, int newTrials, int alreadyEnded) { }
    public void TrialClaimed(string slot, string trialId, TrialSpec spec, TrialState state) { }
    public void BatchProgress(string slot, string trialId, string phase, int epoch, BatchProgress progress) { }
    public void EventsJournaled(string slot, string trialId, IReadOnlyList<TrialEvent> events) { }
    public void TrialEnded(string slot, string trialId, TrialState state) { }
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

    [Theory]
    [InlineData("corrupt")]
    [InlineData("missing")]
    public async Task An_unreadable_newest_checkpoint_falls_back_to_the_previous_verified_one_without_repeating_an_epoch(string damage)
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var trialId = fx.Sweep.Trials.Single().Id;
        var spec = fx.Sweep.Trials.Single().Spec;
        using var datasets = new DatasetCache();
        using var crash = new CancellationTokenSource();
        var first = new TrialRunner(fx.Store, fx.Artifacts, datasets,
            (_, _) => new ScriptedTrainer(4, Loss) { OnTrainEpoch = e => { if (e == 6) crash.Cancel(); } },
            NullRunObserver.Instance, TimeProvider.System, TimeSpan.FromMinutes(1));
        var lease = await fx.Store.TryClaimAnyTrialAsync("n/slot-0", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        (await first.RunAsync("slot-0", lease!, spec, crash.Token)).Should().Be(TrialRunOutcome.Cancelled);

        var journaled = TrialEvolution.Replay((await fx.EventsAsync(trialId)).Select(e => e.Event));
        journaled.EpochsDone.Should().Be(5);
        var newest = Path.Combine(fx.Artifacts, trialId, journaled.LatestCheckpoint!);
        if (damage == "corrupt") await File.AppendAllTextAsync(newest, " ");
        else File.Delete(newest);

        ScriptedTrainer? resumed = null;
        var notes = new NoteRecorder();
        var second = new TrialRunner(fx.Store, fx.Artifacts, datasets, (_, _) => { var t = new ScriptedTrainer(4, Loss); resumed ??= t; return t; },
            notes, TimeProvider.System, TimeSpan.FromMinutes(1));
        lease = await fx.Store.TryClaimAnyTrialAsync("n/slot-0", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        (await second.RunAsync("slot-0", lease!, spec, CancellationToken.None)).Should().Be(TrialRunOutcome.Completed);

        resumed!.Calls.Should().ContainInOrder("load 4", "train 5");
        resumed.Calls.Should().NotContain("load 5");
        notes.Notes.Should().ContainSingle(n => n.Contains(journaled.LatestCheckpoint!) && n.Contains("previous good one") && n.Contains("epoch 4"));
        var events = (await fx.EventsAsync(trialId)).Select(e => e.Event).ToList();
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
        var spec = fx.Sweep.Trials.Single().Spec;
        using var datasets = new DatasetCache();
        using var crash = new CancellationTokenSource();
        var first = new TrialRunner(fx.Store, fx.Artifacts, datasets,
            (_, _) => new ScriptedTrainer(4, Loss) { OnTrainEpoch = e => { if (e == 4) crash.Cancel(); } },
            NullRunObserver.Instance, TimeProvider.System, TimeSpan.FromMinutes(1));
        var lease = await fx.Store.TryClaimAnyTrialAsync("n/slot-0", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        await first.RunAsync("slot-0", lease!, spec, crash.Token);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(fx.Artifacts, trialId), "epoch-*.pt")) await File.AppendAllTextAsync(file, " ");

        var second = new TrialRunner(fx.Store, fx.Artifacts, datasets, (_, _) => new ScriptedTrainer(4, Loss),
            NullRunObserver.Instance, TimeProvider.System, TimeSpan.FromMinutes(1));
        lease = await fx.Store.TryClaimAnyTrialAsync("n/slot-0", DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
        (await second.RunAsync("slot-0", lease!, spec, CancellationToken.None)).Should().Be(TrialRunOutcome.Released);

        (await fx.EventsAsync(trialId)).Select(e => e.Event).OfType<AttemptFailed>().Should().ContainSingle()
            .Which.Reason.Should().Contain("SHA-256 mismatch");
    }
}
