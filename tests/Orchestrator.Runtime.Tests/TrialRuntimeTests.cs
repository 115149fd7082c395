using Orchestrator.TestEngine;
using System.Security.Cryptography;
using Orchestrator.Runtime;
using Orchestrator.Runtime.Trials;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Tests;

public class TrialRuntimeTests
{
    private const string Grid = """
        backbones: [lightweight-cnn, mobilenet_v2]
        strategies: [dynamic, fixed-top-n]
        inputSize: 16
        batchSize: 8
        hyperparameters:
          patience: [2]
          step: [2]
          decay: [0.1]
          epochs: [14]
          fixedTopN: [1, 2]
        """;

    // Improves for 3 epochs, plateaus, improves once more at 8, then plateaus for good.
    private static double Loss(int epoch) => epoch switch { <= 3 => 1.0 / epoch, 8 => 0.2, _ => 0.5 };

    // captures: the trainer takes its checkpoints in memory and the slot's commit writes their files.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Runs_every_trial_of_the_sweep_to_completion_with_journals_that_obey_algorithm_1(bool captures)
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        var final = await fx.RunAsync((_, _, _) => new FakeTrainer(4, Loss) { Captures = captures });

        final.Should().HaveCount(6).And.OnlyContain(t => t.Status == TrialStatus.Completed);
        foreach (var trial in final)
        {
            var events = await fx.EffectiveAsync(trial.Id.Value);
            TrialAudit.Violations(events).Should().BeEmpty();
            var state = TrialEvolution.Replay(events);
            state.Phase.Should().Be(TrialPhase.Completed);
            // Dynamic unfreezes twice and finds the epoch-8 improvement; fixed top-n stops early at epoch 5.
            state.BestEpoch.Should().Be(state.Strategy == Strategy.Dynamic ? 8 : 3);
            File.ReadAllBytes(Path.Combine(fx.Artifacts, trial.Id.Value, state.BestCheckpoint!))
                .Should().Match<byte[]>(b => Convert.ToHexStringLower(SHA256.HashData(b)) == state.BestSha256);
        }
    }

    [Fact]
    public async Task A_run_stopped_mid_epoch_resumes_from_the_journal_without_repeating_a_journaled_epoch()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("[lightweight-cnn, mobilenet_v2]", "[lightweight-cnn]").Replace("[dynamic, fixed-top-n]", "[dynamic]"));
        using var crash = new CancellationTokenSource();
        // The stop comes while epoch 6 trains: that epoch is dropped, the five before it are journaled.
        TrainerFactory first = (_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e => { if (e == 6) crash.Cancel(); },
            HangAtEpoch = 6,
        };
        await FluentActions.Awaiting(() => fx.RunAsync(first, workers: 1, ct: crash.Token)).Should().ThrowAsync<OperationCanceledException>();

        var trialId = fx.Sweep.Trials.Single().Id;
        var before = TrialEvolution.Replay(await fx.EffectiveAsync(trialId.Value));
        before.EpochsDone.Should().Be(5);

        // The first trainer built is the one that resumes; the test evaluation loads the best weights into another.
        FakeTrainer? resumed = null;
        (await fx.RunAsync((_, _, _) => { var t = new FakeTrainer(4, Loss); resumed ??= t; return t; }, workers: 1))
            .Single().Status.Should().Be(TrialStatus.Completed);

        resumed!.Calls.Should().ContainInOrder("load 5", "load-best 3", "train 6");
        resumed.Calls.Should().NotContain(c => c == "train 5" || c == "train 1");
        var events = await fx.EffectiveAsync(trialId.Value);
        events.OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(Enumerable.Range(1, events.OfType<EpochCompleted>().Count()));
        events.OfType<AttemptStarted>().Select(e => e.Attempt).Should().Equal(1, 2);
        TrialAudit.Violations(events).Should().BeEmpty();
    }

    [Fact]
    public async Task A_trial_that_keeps_failing_ends_failed_with_its_reasons_while_the_others_complete()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("[dynamic, fixed-top-n]", "[dynamic]"));
        var broken = fx.Sweep.Trials.Single(t => t.Spec.Backbone == "mobilenet_v2").Id;
        TrainerFactory trainers = (spec, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e => { if (spec.Backbone == "mobilenet_v2" && e == 3) throw new InvalidOperationException("engine fell over"); },
        };

        var final = await fx.RunAsync(trainers);

        final.Single(t => t.Id == broken).Status.Should().Be(TrialStatus.Failed);
        final.Single(t => t.Id != broken).Status.Should().Be(TrialStatus.Completed);
        var events = await fx.EffectiveAsync(broken.Value);
        events.OfType<AttemptFailed>().Select(a => a.Attempt).Should().Equal(1, 2, 3);
        events.OfType<AttemptStarted>().Select(a => a.Attempt).Should().Equal(1, 2, 3);
        events.OfType<AttemptFailed>().Should().OnlyContain(a => a.Reason == "InvalidOperationException: engine fell over");
        events.Last().Should().BeOfType<TrialFailed>().Which.Reason.Should().Contain("engine fell over").And.Contain("3 attempts failed");
        events.OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(1, 2);
    }

    [Theory]
    [InlineData(8424.0)]
    [InlineData(double.NaN)]
    public async Task A_trial_whose_val_loss_blows_up_ends_diverged_keeps_its_best_weights_and_its_slot_runs_the_rest(double blowUp)
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("[dynamic, fixed-top-n]", "[dynamic]"));
        var diverging = fx.Sweep.Trials.Single(t => t.Spec.Backbone == "mobilenet_v2").Id;
        var trainers = new System.Collections.Concurrent.ConcurrentBag<(string Backbone, FakeTrainer Trainer)>();
        TrainerFactory factory = (spec, _, _) =>
        {
            var t = new FakeTrainer(4, spec.Backbone == "mobilenet_v2" ? e => e == 5 ? blowUp : Loss(e) : Loss);
            trainers.Add((spec.Backbone, t));
            return t;
        };

        var final = await fx.RunAsync(factory, workers: 1);

        final.Single(t => t.Id == diverging).Status.Should().Be(TrialStatus.Diverged, "its row says so");
        final.Single(t => t.Id != diverging).Status.Should().Be(TrialStatus.Completed, "its slot went on to the other trial");
        var events = await fx.EffectiveAsync(diverging.Value);
        events.OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(1, 2, 3, 4, 5);
        events.Last().Should().BeOfType<TrialDiverged>().Which.Should().Be(new TrialDiverged(5, double.IsNaN(blowUp)
            ? "val loss is NaN"
            : "val loss 8424 exceeds 20, 10 x 2 (the floor of the reference loss)") { Attempt = 1 });
        events.Should().NotContain(e => e is TrialCompleted || e is TrainingStopped || e is AttemptFailed);
        TrialAudit.Violations(events).Should().BeEmpty();
        trainers.Where(t => t.Backbone == "mobilenet_v2").Should().ContainSingle("no test evaluation loads a model for it")
            .Which.Trainer.Calls.Should().NotContain(c => c.StartsWith("load"));
        var state = TrialEvolution.Replay(events);
        Directory.GetFiles(Path.Combine(fx.Artifacts, diverging.Value)).Select(Path.GetFileName)
            .Should().Equal([state.BestCheckpoint], "a diverged trial keeps its best weights and drops its resumable checkpoints");
    }

    [Fact]
    public async Task A_trial_that_fails_once_is_retried_from_its_journal_and_completes()
    {
        await using var fx = await SweepFixture.CreateAsync(Grid.Replace("[lightweight-cnn, mobilenet_v2]", "[lightweight-cnn]").Replace("[dynamic, fixed-top-n]", "[dynamic]"));
        var failures = 0;
        TrainerFactory trainers = (_, _, _) => new FakeTrainer(4, Loss)
        {
            OnTrainEpoch = e => { if (e == 4 && Interlocked.Increment(ref failures) == 1) throw new IOException("disk hiccup"); },
        };

        var final = await fx.RunAsync(trainers, workers: 1);

        final.Single().Status.Should().Be(TrialStatus.Completed);
        var events = await fx.EffectiveAsync(final.Single().Id.Value);
        events.OfType<AttemptFailed>().Should().ContainSingle().Which.Reason.Should().Be("IOException: disk hiccup");
        events.OfType<EpochCompleted>().Select(e => e.Epoch).Should().Equal(Enumerable.Range(1, 10));
        TrialAudit.Violations(events).Should().BeEmpty();
    }

    [Fact]
    public async Task A_trial_with_pretrained_weights_starts_from_them_instead_of_estimating_batchnorm_statistics()
    {
        var weights = Path.Combine(Path.GetTempPath(), $"orch-weights-{Guid.NewGuid():N}.ote");
        await File.WriteAllTextAsync(weights, "the scripted engine only records the path");
        try
        {
            await using var fx = await SweepFixture.CreateAsync(Grid.Replace("[dynamic, fixed-top-n]", "[dynamic]")
                + $"\nweights: {{ mobilenet_v2: {weights} }}\n");
            var trainers = new List<(string Backbone, FakeTrainer Trainer)>();
            await fx.RunAsync((spec, _, _) =>
            {
                var t = new FakeTrainer(4, Loss);
                lock (trainers) trainers.Add((spec.Backbone, t));
                return t;
            }, workers: 1);

            // The first trainer of each trial trains; a second one loads the best weights for the test evaluation.
            var pretrained = trainers.First(t => t.Backbone == "mobilenet_v2").Trainer.Calls.ToList();
            pretrained.Should().Contain($"pretrained {Path.GetFileName(weights)}").And.NotContain(c => c.StartsWith("calibrate"));
            pretrained.IndexOf($"pretrained {Path.GetFileName(weights)}").Should().BeLessThan(pretrained.IndexOf("train 1"));
            var scratch = trainers.First(t => t.Backbone == "lightweight-cnn").Trainer.Calls;
            scratch.Should().Contain(c => c.StartsWith("calibrate")).And.NotContain(c => c.StartsWith("pretrained"));
        }
        finally
        {
            File.Delete(weights);
        }
    }
}
