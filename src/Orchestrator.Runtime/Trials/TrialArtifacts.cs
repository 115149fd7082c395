using System.Security.Cryptography;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Files;
using Orchestrator.Catalogue;

namespace Orchestrator.Runtime.Trials;

/// <summary>A checkpoint file an epoch's events name, taken in memory and not written yet.</summary>
public sealed record CheckpointWrite(string Name, CheckpointImage Image);

/// <summary>The folder of one trial's checkpoint and test-outputs files, under the store's artifact root. With <paramref name="blobs"/>
/// (a cluster without a shared filesystem) the folder is a local cache: saved files are also put in the store
/// before the journal names them, and files this box lacks are fetched from it.</summary>
public sealed class TrialArtifacts(string artifactRoot, string trialId, IArtifactBlobs? blobs = null)
{
    public string Directory { get; } = Path.Combine(artifactRoot, trialId);

    public string PathOf(string checkpointName) => Path.Combine(Directory, checkpointName);

    public void EnsureExists() => System.IO.Directory.CreateDirectory(Directory);

    /// <summary>Writes checkpoints taken in memory to their files (a temp file renamed over each), as the engine's
    /// saves do; not flushed: <see cref="SecureAsync"/> does that.</summary>
    public void Write(IEnumerable<CheckpointWrite> files)
    {
        foreach (var (name, image) in files)
        {
            var path = PathOf(name);
            var temp = path + ".tmp";
            using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None)) stream.Write(image.Bytes.Span);
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>Makes the files these (not yet journaled) events name durable: each file is flushed, then the folder
    /// (the renames that put them in place). Without a shared filesystem they also go into the store, so any box can
    /// load them once the append has made them part of the trial's history.</summary>
    public Task SecureAsync(IReadOnlyList<TrialEvent> events, CancellationToken ct) => SecureAsync(Named(events).ToList(), ct);

    private async Task SecureAsync(IReadOnlyList<(string Name, string Sha256)> named, CancellationToken ct)
    {
        if (named.Count == 0) return;
        foreach (var (name, _) in named) DurableFileSystem.FsyncFile(PathOf(name));
        DurableFileSystem.FsyncDirectory(Directory);
        if (blobs is null) return;
        foreach (var (name, sha) in named)
            await blobs.PutArtifactAsync(trialId, name, sha, await File.ReadAllBytesAsync(PathOf(name), ct), ct);
    }

    /// <summary>Writes a completed attempt's per-image test outputs to the file named by their SHA-256 and makes it
    /// durable as an epoch's checkpoints are (<see cref="SecureAsync(IReadOnlyList{TrialEvent}, CancellationToken)"/>),
    /// so the <c>TrialCompleted</c> that names it is journaled only once it is there for good.</summary>
    public async Task<TestOutputsFile> SecureTestOutputsAsync(TestOutputs outputs, int attempt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var image = new CheckpointImage(outputs.ToUtf8Json());
        var file = new TestOutputsFile(CheckpointNames.TestOutputs(attempt, image.Sha256), image.Sha256);
        Write([new CheckpointWrite(file.File, image)]);
        await SecureAsync([(file.File, file.Sha256)], ct);
        return file;
    }

    /// <summary>The per-image test outputs <paramref name="file"/> names, from this box's folder or else the store,
    /// verified against its SHA-256.</summary>
    /// <exception cref="InvalidDataException">Missing, or its content is not what the journal recorded.</exception>
    public async Task<TestOutputs> ReadTestOutputsAsync(TestOutputsFile file, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = PathOf(file.File);
        byte[]? content = File.Exists(path) ? await File.ReadAllBytesAsync(path, ct) : null;
        if (content is null && blobs is not null && await blobs.GetArtifactAsync(trialId, file.File, ct) is { } stored) content = stored.Content;
        return content is null
            ? throw new InvalidDataException($"{file.File} is missing")
            : TestOutputs.FromUtf8Json(content, file.Sha256);
    }

    /// <summary>Fetches from the store those named files this box lacks or holds another version of. A file the
    /// store lacks too is left missing: loading it fails and the runner falls back to the previous checkpoint.</summary>
    public async Task FetchAsync(IEnumerable<(string Name, string Sha256)> files, CancellationToken ct)
    {
        if (blobs is null) return;
        foreach (var (name, sha) in files)
        {
            var path = PathOf(name);
            if (File.Exists(path) && Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path, ct))) == sha) continue;
            if (await blobs.GetArtifactAsync(trialId, name, ct) is not { } stored) continue;
            var temp = path + ".fetch";
            await File.WriteAllBytesAsync(temp, stored.Content, ct);
            File.Move(temp, path, overwrite: true);
        }
    }

    /// <summary>Deletes checkpoint files the journal no longer points at (those of earlier epochs, orphans a crashed
    /// attempt wrote but never journaled, and temp files left by older attempts), of <paramref name="attempt"/> or older
    /// attempts only: a writer woken late, whose trial has moved to a newer attempt, never deletes that attempt's files
    /// (<see cref="ArtifactRetention"/>). Only ever called after a successful append.</summary>
    public Task PruneAsync(IEnumerable<string?> keep, int attempt, CancellationToken ct)
    {
        var names = keep.OfType<string>().ToHashSet(StringComparer.Ordinal);
        // A temp file of this attempt may be one being written; an older attempt's is left over.
        return SweepAsync(name => ArtifactRetention.SupersededAfterEpoch(name, names, attempt), tempsBelow: attempt, ct);
    }

    /// <summary>A completed trial keeps its best weights and its test outputs (<see cref="ArtifactRetention.KeptAfterCompletion"/>)
    /// and drops the rest: resumable checkpoints, files and blobs, and temp files; a diverged one likewise keeps its
    /// best weights, if an epoch improved, since nothing resumes it. Called once its <c>TrialCompleted</c> (or
    /// <c>TrialDiverged</c>) is journaled, after its attempt's last commit (on the same commit thread), so no write of
    /// that attempt is under way any more and its own temp files are left over too. Fenced by the attempt that
    /// completed it: a newer attempt's names (there should be none) are never touched. Returns how many files went;
    /// a failure leaves files behind, nothing more, and is noted.</summary>
    public int RetainCompleted(TrialState completed, IRunObserver observer)
    {
        ArgumentNullException.ThrowIfNull(completed);
        ArgumentNullException.ThrowIfNull(observer);
        var keep = ArtifactRetention.KeptAfterCompletion(completed);
        try
        {
            return SweepAsync(name => ArtifactRetention.SupersededAfterCompletion(name, keep, completed.Attempt),
                tempsBelow: completed.Attempt + 1, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Data.Common.DbException)
        {
            observer.Note($"{trialId}: could not drop the completed trial's resumable checkpoints ({ex.Message}); they stay");
            return 0;
        }
    }

    /// <summary>How long a fetch's temp file must have been left untouched before a sweep removes it. A fetch names its
    /// temp file after the file it fetches, whose attempt may be older than the fetching one, so the attempt does not
    /// tell whether its writer is alive (another process sharing this cache may be fetching it now); an hour without a
    /// write does: a fetch writes its temp file in one go and renames it straight after.</summary>
    public static readonly TimeSpan AbandonedFetchAge = TimeSpan.FromHours(1);

    private async Task<int> SweepAsync(Func<string, bool> superseded, int tempsBelow, CancellationToken ct)
    {
        var deleted = 0;
        if (System.IO.Directory.Exists(Directory))
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
            {
                var name = Path.GetFileName(file);
                if (!superseded(name) && !IsAbandonedTemp(file, name, tempsBelow)) continue;
                File.Delete(file);
                deleted++;
            }
        if (blobs is not null) deleted += await blobs.PruneArtifactsAsync(trialId, superseded, ct);
        return deleted;
    }

    /// <summary>A temp file no live writer will rename any more. A write's temp file carries its writer's attempt
    /// (<c>NAME.tmp</c>, NAME of the writer's own attempt): one of an attempt below <paramref name="tempsBelow"/> is
    /// safe to remove, because that attempt has been fenced off by a newer journaled <c>AttemptStarted</c> (or, at
    /// completion, has ended): a writer of it that is still alive (paused, cut off) can only fail its rename, and its
    /// append is refused anyway. A fetch's temp file goes by age (<see cref="AbandonedFetchAge"/>).</summary>
    private static bool IsAbandonedTemp(string path, string name, int tempsBelow)
    {
        if (name.EndsWith(".tmp", StringComparison.Ordinal)) return CheckpointNames.AttemptOf(name) < tempsBelow;
        return name.EndsWith(".fetch", StringComparison.Ordinal)
               && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > AbandonedFetchAge;
    }

    private static IEnumerable<(string Name, string Sha256)> Named(IEnumerable<TrialEvent> events) => events.SelectMany(e => e switch
    {
        CheckpointSaved c => [(c.Checkpoint, c.Sha256)],
        BestImproved b => new[] { (b.Checkpoint, b.Sha256) },
        TrialCompleted { TestOutputs: { } o } => [(o.File, o.Sha256)],
        _ => [],
    });
}
