namespace Orchestrator.Catalogue.Postgres;

/// <summary>Checkpoint and test-outputs blobs (bytea, at most 1 GB each) for clusters without a shared filesystem.</summary>
public sealed partial class PostgresCatalogue : IArtifactBlobs
{
    public Task PutArtifactAsync(string trialId, string name, string sha256, byte[] content, CancellationToken ct = default) =>
        ConnectedAsync(conn => ExecAsync(conn, null,
            """
            INSERT INTO artifacts (trial_id, name, sha256, content) VALUES (@t, @n, @s, @c)
            ON CONFLICT (trial_id, name) DO NOTHING;
            """, ct, ("t", trialId), ("n", name), ("s", sha256), ("c", content)), ct);

    public Task<(byte[] Content, string Sha256)?> GetArtifactAsync(string trialId, string name, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT content, sha256 FROM artifacts WHERE trial_id = @t AND name = @n;",
                r => ((byte[])r.GetValue(0), r.GetString(1)), ct, ("t", trialId), ("n", name)).ConfigureAwait(false))
            .Select(x => ((byte[], string)?)x).SingleOrDefault(), ct);

    public Task<int> PruneArtifactsAsync(string trialId, Func<string, bool> doomed, CancellationToken ct = default) =>
        ConnectedAsync(async conn =>
        {
            var stored = await QueryAsync(conn, "SELECT name FROM artifacts WHERE trial_id = @t;", r => r.GetString(0), ct, ("t", trialId))
                .ConfigureAwait(false);
            var names = stored.Where(doomed).ToArray();
            return names.Length == 0 ? 0
                : await ExecAsync(conn, null, "DELETE FROM artifacts WHERE trial_id = @t AND name = ANY(@doomed);", ct,
                    ("t", trialId), ("doomed", names)).ConfigureAwait(false);
        }, ct);
}
