using System.Security.Cryptography;
using Orchestrator.Domain.Events;
using Orchestrator.Domain.Training;
using Orchestrator.Domain.Trials;
using Orchestrator.Store.Files;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Trials;

/// <summary>A checkpoint file an epoch's events name, taken in memory and not written yet.</summary>
public sealed record CheckpointWrite(string Name, CheckpointImage Image);

/// <summary>The folder of one trial's checkpoint files, under the store's artifact root. With <paramref name="blobs"/>
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
    public async Task SecureAsync(IReadOnlyList<TrialEvent> events, CancellationToken ct)
    {
        var named = Named(events).ToList();
        if (named.Count == 0) return;
        foreach (var (name, _) in named) DurableFileSystem.FsyncFile(PathOf(name));
        DurableFileSystem.FsyncDirectory(Directory);
        if (blobs is null) return;
        foreach (var (name, sha) in named)
            await blobs.PutArtifactAsync(trialId, name, sha, await File.ReadAllBytesAsync(PathOf(name), ct), ct);
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
    /// (<see cref="CheckpointNames.AttemptOf"/>). Only ever called after a successful append.</summary>
    public async Task PruneAsync(IEnumerable<string?> keep, int attempt, CancellationToken ct)
    {
        var names = keep.OfType<string>().ToHashSet(StringComparer.Ordinal);
        if (System.IO.Directory.Exists(Directory))
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory))
            {
                var name = Path.GetFileName(file);
                var doomed = name.EndsWith(".pt", StringComparison.Ordinal)
                    ? !names.Contains(name) && CheckpointNames.AttemptOf(name) <= attempt
                    // A temp file of this attempt may be one being written; an older attempt's is left over.
                    : IsTemp(name) && CheckpointNames.AttemptOf(name) < attempt;
                if (doomed) File.Delete(file);
            }
        if (blobs is not null) await blobs.PruneArtifactsAsync(trialId, names, attempt, ct);
    }

    private static bool IsTemp(string name) =>
        name.EndsWith(".pt.tmp", StringComparison.Ordinal) || name.EndsWith(".pt.fetch", StringComparison.Ordinal);

    private static IEnumerable<(string Name, string Sha256)> Named(IEnumerable<TrialEvent> events) => events.SelectMany(e => e switch
    {
        CheckpointSaved c => [(c.Checkpoint, c.Sha256)],
        BestImproved b => new[] { (b.Checkpoint, b.Sha256) },
        _ => [],
    });
}
