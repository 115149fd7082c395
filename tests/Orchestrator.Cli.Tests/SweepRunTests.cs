using System.Security.Cryptography;
using System.Text.Json;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Trials;
using Orchestrator.Catalogue.Sqlite;

namespace Orchestrator.Cli.Tests;

/// <summary>Real sweeps through the real engine, driven by the CLI as a user types it.</summary>
public class SweepRunTests
{
    private static string Spec(string name, string backbones, string strategies, int epochs) => $"""
        name: {name}
        data: {"{"} path: data, synthesize: {"{"} images: 140, size: 32, seed: 2 {"}"} {"}"}
        backbones: [{backbones}]
        strategies: [{strategies}]
        inputSize: 32
        batchSize: 16
        hyperparameters: {"{"} patience: [1], step: [1], decay: [0.1], epochs: [{epochs}], fixedTopN: [1] {"}"}
        """;

    [Fact]
    public async Task Sweep_run_trains_every_trial_and_status_and_events_report_them()
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Spec("e2e", "lightweight-cnn, mobilenet_v2", "dynamic, fixed-top-n", 4));

        var run = await Cli.RunAsync(dir, TimeSpan.FromMinutes(10), "sweep", "run", "spec.yaml", "--workers", "2");
        run.ExitCode.Should().Be(0, run.Stderr + run.Stdout);
        run.Stdout.Should().Contain("Results (SYNTHETIC data)").And.Contain("4 of 4 trial(s) completed");

        var status = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "sweep", "status", "e2e", "--json");
        status.ExitCode.Should().Be(0, status.Stderr);
        using var doc = JsonDocument.Parse(status.Stdout);
        var trials = doc.RootElement.GetProperty("trials").EnumerateArray().ToList();
        trials.Should().HaveCount(4).And.OnlyContain(t => t.GetProperty("status").GetString() == "completed");

        foreach (var id in trials.Select(t => t.GetProperty("id").GetString()!))
        {
            var events = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "trial", "events", id, "--json");
            events.ExitCode.Should().Be(0, events.Stderr);
            using var journal = JsonDocument.Parse(events.Stdout);
            var items = journal.RootElement.EnumerateArray().ToList();
            items.Select(e => e.GetProperty("seq").GetInt64()).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            items[0].GetProperty("type").GetString().Should().Be("AttemptStarted");
            items[1].GetProperty("type").GetString().Should().Be("TrialStarted");
            items.Should().OnlyContain(e => e.GetProperty("attempt").GetInt32() == 1, "one uninterrupted attempt wrote it all");
            items[^1].GetProperty("type").GetString().Should().Be("TrialCompleted");
            var completed = items[^1];
            completed.GetProperty("confusionMatrix").GetArrayLength().Should().Be(7);
            // The test figures come from the best-weights file loaded into a fresh model: its size and load time.
            var best = items.Last(e => e.GetProperty("type").GetString() == "BestImproved").GetProperty("checkpoint").GetString()!;
            completed.GetProperty("modelBytes").GetInt64().Should().Be(new FileInfo(Path.Combine(dir, ".orchestrator", "artifacts", id, best)).Length);
            completed.GetProperty("loadSeconds").GetDouble().Should().BeGreaterThan(0);
            // Stored in a file named by its SHA-256, not in the journal row; `trial events --json` prints them inline.
            var outputs = completed.GetProperty("testOutputs");
            outputs.GetProperty("file").GetString().Should().Contain(outputs.GetProperty("sha256").GetString());
            var labels = completed.GetProperty("testLabels").EnumerateArray().Select(l => l.GetInt32()).ToList();
            var predictions = completed.GetProperty("testPredictions").EnumerateArray().Select(l => l.GetInt32()).ToList();
            var probabilities = completed.GetProperty("testProbabilities").EnumerateArray().ToList();
            labels.Should().HaveSameCount(predictions).And.HaveSameCount(probabilities);
            probabilities.Should().OnlyContain(p => p.GetArrayLength() == 7);
            completed.GetProperty("classNames").GetArrayLength().Should().Be(7);
            var correct = labels.Where((label, i) => predictions[i] == label).Count();
            completed.GetProperty("testAccuracy").GetDouble().Should().BeApproximately((double)correct / labels.Count, 1e-12);

            var audit = await Cli.RunAsync(dir, TimeSpan.FromMinutes(1), "trial", "audit", id);
            audit.ExitCode.Should().Be(0, audit.Stdout);
            audit.Stdout.Should().Contain("no violation of Algorithm 1");
        }

        var again = await Cli.RunAsync(dir, TimeSpan.FromMinutes(2), "sweep", "run", "spec.yaml");
        again.ExitCode.Should().Be(0, again.Stderr);
        again.Stdout.Should().Contain("4 trial(s), 0 new, 4 already ended");
    }

    [Fact]
    public async Task Kill_9_mid_epoch_then_the_same_command_completes_without_repeating_a_journaled_epoch()
    {
        var dir = Cli.TempDir();
        await File.WriteAllTextAsync(Path.Combine(dir, "spec.yaml"), Spec("crash", "mobilenet_v2", "dynamic", 8));
        var dbPath = Path.Combine(dir, ".orchestrator", "orchestrator.db");
        var storeUrl = "sqlite:" + dbPath;

        await Journals.KillMidEpochThenResumeAsync(dir, storeUrl, 2, TimeSpan.FromMilliseconds(700), TimeSpan.FromMinutes(10));

        await using var store = await SqliteCatalogue.OpenAsync(dbPath);
        var sweep = (await store.ListSweepsAsync()).Single();
        var trialId = (await store.ListTrialsAsync(sweep.Id)).Single().Id;
        var journal = await Journals.ReadAsync(storeUrl, trialId.Value);
        journal.Should().NotContain(e => e.Superseded);
        var events = journal.Select(e => e.Event).ToList();
        events.OfType<AttemptStarted>().Select(e => e.Attempt).Should().Equal(1, 2);
        var epochs = events.OfType<EpochCompleted>().Select(e => e.Epoch).ToList();
        epochs.Should().Equal(Enumerable.Range(1, epochs.Count), "each epoch is journaled exactly once, in order");
        TrialAudit.Violations(events).Should().BeEmpty();
        var state = TrialEvolution.Replay(events);
        state.Phase.Should().Be(TrialPhase.Completed);
        var best = Path.Combine(dir, ".orchestrator", "artifacts", trialId.Value, state.BestCheckpoint!);
        Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(best))).Should().Be(state.BestSha256);

        // The same sweep run without interruption elsewhere journals exactly the same figures: the resumed run
        // picked up weights, optimizer state, unfrozen groups and rate exactly where the journal left them.
        var reference = Cli.TempDir();
        File.Copy(Path.Combine(dir, "spec.yaml"), Path.Combine(reference, "spec.yaml"));
        (await Cli.RunAsync(reference, TimeSpan.FromMinutes(10), "sweep", "run", "spec.yaml", "--workers", "1")).ExitCode.Should().Be(0);
        var referenceEvents = (await Journals.ReadAsync("sqlite:" + Path.Combine(reference, ".orchestrator", "orchestrator.db"), trialId.Value))
            .Select(e => e.Event).ToList();
        Figures(events).Should().Equal(Figures(referenceEvents));
        // The test outputs' file is named by its SHA-256: the same predictions, labels and probabilities.
        TrialEvolution.Replay(referenceEvents).Result!.TestOutputs!.Sha256.Should().Be(state.Result!.TestOutputs!.Sha256);
    }

    internal static IEnumerable<string> Figures(IEnumerable<TrialEvent> events) =>
        events.OfType<EpochCompleted>().Select(e => $"{e.Epoch} {e.TrainLoss:R} {e.ValLoss:R} {e.UnfrozenGroups} {e.LearningRate:R}");
}
