using Orchestrator.TestEngine;
using System.Security.Cryptography;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>What a trial leaves behind: a completed trial keeps its best weights and its test outputs (a file named by
/// its SHA-256, not arrays in the journal row); temp files no live writer will rename are swept, others never.</summary>
public class RetentionTests
{
    internal const string Grid = """
        backbones: [lightweight-cnn]
        strategies: [dynamic]
        inputSize: 16
        batchSize: 8
        hyperparameters:
          patience: [2]
          step: [2]
          decay: [0.1]
          epochs: [6]
        """;

    private static double Loss(int epoch) => epoch <= 3 ? 1.0 / epoch : 0.5;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_completed_trial_keeps_its_best_weights_and_test_outputs_file_and_nothing_else(bool captures)
    {
        await using var fx = await SweepFixture.CreateAsync(Grid);
        (await fx.RunAsync((_, _, _) => new FakeTrainer(4, Loss) { Captures = captures }, workers: 1))
            .Should().OnlyContain(t => t.Status == TrialStatus.Completed);

        var trialId = fx.Sweep.Trials.Single().Id;
        var state = TrialEvolution.Replay(await fx.EffectiveAsync(trialId.Value));
        var completed = state.Result!;
        EventCatalog.Serialize(completed).Payload.Should().NotContain("\"testProbabilities\":[", "per-image outputs stay out of the journal row")
            .And.NotContain("\"testPredictions\":[");
        var folder = Path.Combine(fx.Artifacts, trialId.Value);
        // The retention runs on the slot's commit thread once the trial has ended.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Directory.GetFiles(folder).Length > 2 && DateTime.UtcNow < deadline) await Task.Delay(50);
        Directory.GetFiles(folder).Select(Path.GetFileName).Should().BeEquivalentTo(state.BestCheckpoint, completed.TestOutputs!.File);

        var content = File.ReadAllBytes(Path.Combine(folder, completed.TestOutputs.File));
        Convert.ToHexStringLower(SHA256.HashData(content)).Should().Be(completed.TestOutputs.Sha256);
        completed.TestOutputs.File.Should().Contain(completed.TestOutputs.Sha256);
        var outputs = TestOutputs.FromUtf8Json(content, completed.TestOutputs.Sha256);
        outputs.Labels.Should().HaveCount(outputs.Predictions.Length).And.NotBeEmpty();
        var (inlined, problem) = await new TestOutputsReader(fx.Artifacts).InlineAsync(trialId.Value, await fx.EffectiveAsync(trialId.Value), CancellationToken.None);
        problem.Should().BeNull();
        var read = TrialEvolution.Replay(inlined).Result!;
        read.TestPredictions.Should().Equal(outputs.Predictions);
        read.TestLabels.Should().Equal(outputs.Labels);
    }

    [Fact]
    public async Task A_damaged_or_missing_test_outputs_file_leaves_the_result_without_them_and_says_why()
    {
        using var temp = new TempDir("outputs-");
        var root = temp.Path;
        var artifacts = new TrialArtifacts(root, "t-x");
        artifacts.EnsureExists();
        var file = await artifacts.SecureTestOutputsAsync(new TestOutputs([0, 1], [0, 0], [[0.9f, 0.1f], [0.6f, 0.4f]]), 2, CancellationToken.None);
        file.File.Should().Be(CheckpointNames.TestOutputs(2, file.Sha256));
        TrialEvent[] events = [new TrialCompleted(1, 0.5, 2, 0.6, 0.5, 0.4, [[1, 0], [1, 0]], null, TestOutputs: file)];
        var reader = new TestOutputsReader(root);

        File.WriteAllText(artifacts.PathOf(file.File), """{"labels":[1,1],"predictions":[0,0],"probabilities":[[0.9,0.1],[0.6,0.4]]}""");
        var (damaged, why) = await reader.InlineAsync("t-x", events, CancellationToken.None);
        ((TrialCompleted)damaged[0]).TestLabels.Should().BeNull();
        why.Should().Contain("SHA-256");

        File.Delete(artifacts.PathOf(file.File));
        (await reader.InlineAsync("t-x", events, CancellationToken.None)).Problem.Should().Contain("missing");
    }

    [Fact]
    public async Task A_prune_never_removes_a_fetch_under_way_but_sweeps_one_abandoned_long_ago()
    {
        using var temp = new TempDir("sweep-");
        var root = temp.Path;
        var artifacts = new TrialArtifacts(root, "t-x");
        artifacts.EnsureExists();
        // Attempt 3 on another process sharing this folder is fetching attempt 1's checkpoint right now.
        var live = artifacts.PathOf(CheckpointNames.Latest(1, 4) + ".fetch");
        var abandoned = artifacts.PathOf(CheckpointNames.Latest(1, 3) + ".fetch");
        var olderWrite = artifacts.PathOf(CheckpointNames.Latest(1, 5) + ".tmp");
        var ownWrite = artifacts.PathOf(CheckpointNames.Latest(2, 5) + ".tmp");
        foreach (var f in new[] { live, abandoned, olderWrite, ownWrite }) File.WriteAllBytes(f, [1]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow - TrialArtifacts.AbandonedFetchAge - TimeSpan.FromMinutes(1));

        await artifacts.PruneAsync([], attempt: 2, CancellationToken.None);

        File.Exists(live).Should().BeTrue("a fetch by a newer attempt may be renaming it now");
        File.Exists(abandoned).Should().BeFalse();
        File.Exists(olderWrite).Should().BeFalse("attempt 1 is fenced off: its writer can only fail its rename");
        File.Exists(ownWrite).Should().BeTrue("this attempt may be writing it now");
    }

    [Fact]
    public void Completion_retention_keeps_best_and_outputs_drops_resumable_checkpoints_and_temps_and_never_a_newer_attempt_s_file()
    {
        using var temp = new TempDir("retain-");
        var root = temp.Path;
        var artifacts = new TrialArtifacts(root, "t-x");
        artifacts.EnsureExists();
        var outputs = CheckpointNames.TestOutputs(2, new string('a', 64));
        string[] kept = [CheckpointNames.Best(2, 3), outputs, CheckpointNames.Latest(3, 1)];
        string[] dropped =
        [
            CheckpointNames.Latest(2, 5), CheckpointNames.Latest(2, 4), CheckpointNames.Best(1, 2), CheckpointNames.Latest(1, 2),
            CheckpointNames.TestOutputs(1, new string('b', 64)), CheckpointNames.Latest(2, 6) + ".tmp", CheckpointNames.Latest(1, 3) + ".tmp",
        ];
        foreach (var name in kept.Concat(dropped)) File.WriteAllBytes(artifacts.PathOf(name), [1]);
        var completed = TrialState.Initial with
        {
            Phase = TrialPhase.Completed, Attempt = 2, BestCheckpoint = kept[0], BestSha256 = "x",
            Result = new TrialCompleted(3, 0.5, 5, 0.6, 0.5, 0.4, [[1]], null, TestOutputs: new TestOutputsFile(outputs, new string('a', 64))),
        };

        artifacts.RetainCompleted(completed, NullRunObserver.Instance).Should().Be(dropped.Length);

        Directory.GetFiles(artifacts.Directory).Select(Path.GetFileName).Should().BeEquivalentTo(kept);
    }
}
