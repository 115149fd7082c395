namespace Orchestrator.Catalogue;

/// <summary>Checkpoint files kept in the store itself, for clusters without a shared filesystem: each box keeps a
/// local copy as a cache and fetches what it lacks. Contents are verified against their SHA-256 on every load.</summary>
public interface IArtifactBlobs
{
    /// <summary>Stores one trial's file, unless a file of that name is stored already: a name is written once (names
    /// carry their attempt, so a stale writer's name is never a newer attempt's).</summary>
    Task PutArtifactAsync(string trialId, string name, string sha256, byte[] content, CancellationToken ct = default);

    /// <summary>The file's content and recorded SHA-256, or null when it is not stored.</summary>
    Task<(byte[] Content, string Sha256)?> GetArtifactAsync(string trialId, string name, CancellationToken ct = default);

    /// <summary>Deletes the trial's files whose names <paramref name="doomed"/> picks; returns how many. The caller fences
    /// it (names carry their attempt: a writer picks only names of its own attempt or older ones).</summary>
    Task<int> PruneArtifactsAsync(string trialId, Func<string, bool> doomed, CancellationToken ct = default);
}
