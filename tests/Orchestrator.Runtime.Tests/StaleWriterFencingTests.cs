using System.Security.Cryptography;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Runtime.Trials;
using Orchestrator.Catalogue;
using Orchestrator.Testing;

namespace Orchestrator.Runtime.Tests;

/// <summary>
/// Files and blobs fenced by attempt: a writer paused inside its commit (between taking its checkpoints and writing,
/// or between its append and its prune) and resumed after its trial moved to a newer attempt can neither replace nor
/// delete a file or blob of the newer attempt; it touches only names of its own attempt or older ones.
/// </summary>
public class StaleWriterFencingTests
{
    private const string TrialId = "t-fenced";

    [Fact]
    public async Task A_stale_writer_resumed_after_its_trial_moved_cannot_overwrite_or_prune_the_newer_attempt_s_files()
    {
        using var temp = new TempDir("fence-");
        var root = temp.Path;
        await StaleWriterLeavesTheNewerAttemptIntactAsync(root, blobs: null);
    }

    [PostgresFact]
    public async Task Without_a_shared_filesystem_a_stale_writer_cannot_overwrite_or_prune_the_newer_attempt_s_blobs()
    {
        var url = await PostgresTestServer.CreateDatabaseAsync("fence");
        using var temp = new TempDir("fence-");
        var root = temp.Path;
        try
        {
            await using var store = await StoreFactory.OpenAsync(url);
            await StaleWriterLeavesTheNewerAttemptIntactAsync(root, (IArtifactBlobs)store);
            // Each box's cache empty: what the newer attempt needs comes from the store, intact.
            using var fresh = new TempDir("fence-");
            var artifacts = new TrialArtifacts(fresh.Path, TrialId, (IArtifactBlobs)store);
            artifacts.EnsureExists();
            var named = new[] { CheckpointNames.Best(2, 3), CheckpointNames.Latest(2, 3) };
            await artifacts.FetchAsync(named.Select(n => (n, Sha(Bytes(2, n)))), CancellationToken.None);
            foreach (var name in named) Sha(File.ReadAllBytes(artifacts.PathOf(name))).Should().Be(Sha(Bytes(2, name)));
        }
        finally
        {
            await PostgresTestServer.DropDatabaseAsync(url);
        }
    }

    private static async Task StaleWriterLeavesTheNewerAttemptIntactAsync(string root, IArtifactBlobs? blobs)
    {
        var stale = new TrialArtifacts(root, TrialId, blobs);
        var newer = new TrialArtifacts(root, TrialId, blobs);
        stale.EnsureExists();

        // Attempt 1 journaled epoch 2, then paused inside the commit of epoch 3.
        var staleEpoch2 = Files(attempt: 1, epoch: 2);
        await CommitAsync(stale, staleEpoch2);
        // Meanwhile its trial moved: attempt 2 resumed from epoch 2 and committed epoch 3.
        var newerEpoch3 = Files(attempt: 2, epoch: 3);
        await CommitAsync(newer, newerEpoch3);
        await newer.PruneAsync([.. newerEpoch3.Select(f => f.Name), staleEpoch2[1].Name], attempt: 2, CancellationToken.None);

        // Attempt 1 wakes up: it writes its epoch 3 (its append will be refused by the journal) and prunes by its view.
        var staleEpoch3 = Files(attempt: 1, epoch: 3);
        await CommitAsync(stale, staleEpoch3);
        await stale.PruneAsync(staleEpoch3.Select(f => f.Name), attempt: 1, CancellationToken.None);

        foreach (var (name, image) in newerEpoch3)
        {
            var path = newer.PathOf(name);
            File.Exists(path).Should().BeTrue($"{name} of the newer attempt is still there");
            Sha(File.ReadAllBytes(path)).Should().Be(image.Sha256, $"{name} holds what the newer attempt wrote");
            if (blobs is not null)
                (await blobs.GetArtifactAsync(TrialId, name))!.Value.Sha256.Should().Be(image.Sha256, $"the blob {name} is the newer attempt's");
        }
    }

    private static async Task CommitAsync(TrialArtifacts artifacts, IReadOnlyList<CheckpointWrite> files)
    {
        artifacts.Write(files);
        await artifacts.SecureAsync(
            [new Domain.Events.BestImproved(1, 0.5, files[0].Name, files[0].Image.Sha256),
             new Domain.Events.CheckpointSaved(1, files[1].Name, files[1].Image.Sha256)], CancellationToken.None);
    }

    private static IReadOnlyList<CheckpointWrite> Files(int attempt, int epoch) =>
        [.. new[] { CheckpointNames.Best(attempt, epoch), CheckpointNames.Latest(attempt, epoch) }
            .Select(name => new CheckpointWrite(name, new CheckpointImage(Bytes(attempt, name))))];

    /// <summary>Content that differs between attempts even where a file name would not.</summary>
    private static byte[] Bytes(int attempt, string name) => System.Text.Encoding.UTF8.GetBytes($"attempt {attempt} wrote {name}");

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
