using System.Data;
using Npgsql;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Catalogue.Postgres;

/// <summary>Connection behaviour of a <see cref="PostgresCatalogue"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>How long an operation keeps retrying while the server is unreachable or restarting.</summary>
    public TimeSpan ReconnectFor { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The cluster store: one PostgreSQL database shared by every box. Claims take the oldest claimable trial with
/// <c>FOR UPDATE SKIP LOCKED</c>. Operations are retried with backoff while the server is unreachable (a restart, a network cut).
/// </summary>
public sealed partial class PostgresCatalogue : ISweepCatalogue
{
    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreOptions _options;

    private PostgresCatalogue(string connectionString, string display, PostgresStoreOptions options)
    {
        _source = Build(connectionString);
        _options = options;
        Display = display;
    }

    /// <summary>The store uses built-in types only (text, bigint, boolean, bytea, text[]), so a new connection skips
    /// the server's type catalogue query: that query was most of the time a short-lived process spent connecting.</summary>
    private static NpgsqlDataSource Build(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return builder.Build();
    }

    /// <summary>The store's URL without any secret, for messages.</summary>
    public string Display { get; }

    public static Task<PostgresCatalogue> OpenAsync(PostgresTarget target, CancellationToken ct = default) =>
        OpenAsync(target, new PostgresStoreOptions(), ct);

    public static async Task<PostgresCatalogue> OpenAsync(PostgresTarget target, PostgresStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await StoreChecks.MigratedAsync(new PostgresCatalogue(target.ConnectionString(), target.Display, options), ct).ConfigureAwait(false);
    }

    public Task MigrateAsync(CancellationToken ct = default) =>
        WriteAsync(async (conn, tx) =>
        {
            await ExecAsync(conn, tx, "SELECT pg_advisory_xact_lock(@k);", ct, ("k", PostgresSchema.MigrationLock)).ConfigureAwait(false);
            await ExecAsync(conn, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);", ct)
                .ConfigureAwait(false);
            var current = (int)(await ScalarAsync(conn, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_version;", ct).ConfigureAwait(false))!;
            foreach (var (version, sql) in PostgresSchema.Migrations)
            {
                if (version <= current) continue;
                await ExecAsync(conn, tx, sql, ct).ConfigureAwait(false);
                await ExecAsync(conn, tx, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @t);", ct,
                    ("v", version), ("t", DateTimeOffset.UtcNow.UtcTicks)).ConfigureAwait(false);
            }
            return 0;
        }, ct);

    public Task<int> RegisterSweepAsync(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, CancellationToken ct = default)
    {
        StoreChecks.Registration(sweep, trials);

        return WriteAsync(async (conn, tx) =>
        {
            await ExecAsync(conn, tx,
                """
                INSERT INTO sweeps (id, name, spec_yaml, created_at) VALUES (@id, @name, @spec, @created)
                ON CONFLICT (id) DO UPDATE SET spec_yaml = excluded.spec_yaml;
                """, ct,
                ("id", sweep.Id.Value), ("name", sweep.Name), ("spec", sweep.SpecYaml), ("created", sweep.CreatedAt.UtcTicks)).ConfigureAwait(false);
            var added = 0;
            foreach (var t in trials)
            {
                added += await ExecAsync(conn, tx,
                    """
                    INSERT INTO trials (id, sweep_id, spec_json, status, assigned_to, attempts, updated_at)
                    VALUES (@id, @sweep, @spec, @status, @assigned, @attempts, @updated)
                    ON CONFLICT (id) DO NOTHING;
                    """, ct,
                    ("id", t.Id.Value), ("sweep", t.SweepId.Value), ("spec", t.SpecJson), ("status", t.Status.ToString()), ("assigned", t.AssignedTo),
                    ("attempts", t.Attempts),
                    ("updated", t.UpdatedAt.UtcTicks)).ConfigureAwait(false);
            }
            return added;
        }, ct);
    }

    public Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<SweepRecord>>(async conn =>
            await QueryAsync(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps ORDER BY ord;", ReadSweep, ct), ct);

    public Task<SweepRecord?> GetSweepAsync(SweepId sweepId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps WHERE id = @id;", ReadSweep, ct,
            ("id", sweepId.Value)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(SweepId sweepId, CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<TrialRecord>>(async conn =>
            await QueryAsync(conn, $"SELECT {TrialColumns} FROM trials WHERE sweep_id = @s ORDER BY ord;", ReadTrial, ct, ("s", sweepId.Value)), ct);

    public Task<TrialRecord?> GetTrialAsync(TrialId trialId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, $"SELECT {TrialColumns} FROM trials WHERE id = @id;", ReadTrial, ct,
            ("id", trialId.Value)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task UpdateTrialsAsync(IReadOnlyList<TrialRowUpdate> updates, CancellationToken ct = default)
    {
        StoreChecks.Updates(updates);
        if (updates.Count == 0) return Task.CompletedTask;
        return WriteAsync(async (conn, tx) =>
        {
            // One statement per chunk: unnest of parallel arrays, so a large batch is a few round trips.
            foreach (var chunk in updates.Chunk(2000))
                await ExecAsync(conn, tx,
                    """
                    UPDATE trials t SET status = u.status, assigned_to = u.assigned, attempts = u.attempts, updated_at = u.updated
                    FROM unnest(@ids, @statuses, @assigned, @attempts, @updated) AS u(id, status, assigned, attempts, updated)
                    WHERE t.id = u.id;
                    """, ct,
                    ("ids", chunk.Select(u => u.TrialId.Value).ToArray()), ("statuses", chunk.Select(u => u.Status.ToString()).ToArray()),
                    ("assigned", chunk.Select(u => u.AssignedTo).ToArray()), ("attempts", chunk.Select(u => u.Attempts).ToArray()),
                    ("updated", chunk.Select(u => u.UpdatedAt.UtcTicks).ToArray())).ConfigureAwait(false);
            return 0;
        }, ct);
    }

    public Task<bool> SetSweepCancelledAsync(SweepId sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(async (conn, tx) =>
        {
            if (await ScalarAsync(conn, tx, "SELECT 1 FROM sweeps WHERE id = @s;", ct, ("s", sweepId.Value)).ConfigureAwait(false) is null) return false;
            await ExecAsync(conn, tx,
                """
                INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES (@s, @c, @now)
                ON CONFLICT (sweep_id) DO UPDATE SET cancelled = excluded.cancelled, updated_at = excluded.updated_at;
                """, ct, ("s", sweepId.Value), ("c", cancelled), ("now", now.UtcTicks)).ConfigureAwait(false);
            return true;
        }, ct);

    public Task<bool> IsSweepCancelledAsync(SweepId sweepId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT cancelled FROM sweep_controls WHERE sweep_id = @s;", r => r.GetBoolean(0), ct,
            ("s", sweepId.Value)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync().ConfigureAwait(false);
    }

    private const string TrialColumns = StoreRows.TrialColumns;

    private static DateTimeOffset TimeAt(System.Data.Common.DbDataReader r, int i) => Time(r.GetInt64(i));
    private static SweepRecord ReadSweep(NpgsqlDataReader r) => StoreRows.Sweep(r, TimeAt);
    private static TrialRecord ReadTrial(NpgsqlDataReader r) => StoreRows.Trial(r, TimeAt);

    internal static DateTimeOffset Time(long utcTicks) => new(utcTicks, TimeSpan.Zero);

}
