namespace Orchestrator.Store;

/// <summary>Checkpoint files kept in the store itself, for clusters without a shared filesystem: each box keeps a
/// local copy as a cache and fetches what it lacks. Contents are verified against their SHA-256 on every load.</summary>
public interface IArtifactBlobs
{
    /// <summary>Stores one trial's file, unless a file of that name is stored already: a name is written once (names
    /// carry their attempt, so a stale writer's name is never a newer attempt's).</summary>
    Task PutArtifactAsync(string trialId, string name, string sha256, byte[] content, CancellationToken ct = default);

    /// <summary>The file's content and recorded SHA-256, or null when it is not stored.</summary>
    Task<(byte[] Content, string Sha256)?> GetArtifactAsync(string trialId, string name, CancellationToken ct = default);

    /// <summary>Deletes the trial's files not named in <paramref name="keep"/> whose names carry attempt
    /// <paramref name="upToAttempt"/> or an older one (never a newer attempt's); returns how many.</summary>
    Task<int> PruneArtifactsAsync(string trialId, IReadOnlyCollection<string> keep, int upToAttempt, CancellationToken ct = default);
}
