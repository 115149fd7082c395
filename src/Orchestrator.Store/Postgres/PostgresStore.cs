using System.Data;
using Npgsql;

namespace Orchestrator.Store.Postgres;

/// <summary>Connection behaviour of a <see cref="PostgresStore"/>.</summary>
public sealed record PostgresStoreOptions
{
    /// <summary>How long an operation keeps retrying while the server is unreachable or restarting.</summary>
    public TimeSpan ReconnectFor { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The cluster store: one PostgreSQL database shared by every box. Claims take the oldest claimable trial with
/// <c>FOR UPDATE SKIP LOCKED</c>. Operations are retried with backoff while the server is unreachable (a restart, a network cut).
/// </summary>
public sealed partial class PostgresStore : IOrchestratorStore
{
    private readonly NpgsqlDataSource _source;
    // Connections that must never go back to a pool: the LISTEN session and the coordinator's lock session.
    private readonly NpgsqlDataSource _unpooled;
    private readonly PostgresStoreOptions _options;

    private PostgresStore(string connectionString, string display, PostgresStoreOptions options)
    {
        _source = Build(connectionString);
        _unpooled = Build(connectionString + ";Pooling=false");
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

    public static Task<PostgresStore> OpenAsync(PostgresTarget target, CancellationToken ct = default) =>
        OpenAsync(target, new PostgresStoreOptions(), ct);

    public static async Task<PostgresStore> OpenAsync(PostgresTarget target, PostgresStoreOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await StoreChecks.MigratedAsync(new PostgresStore(target.ConnectionString(), target.Display, options), ct).ConfigureAwait(false);
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
                ("id", sweep.Id), ("name", sweep.Name), ("spec", sweep.SpecYaml), ("created", sweep.CreatedAt.UtcTicks)).ConfigureAwait(false);
            var added = 0;
            foreach (var t in trials)
            {
                added += await ExecAsync(conn, tx,
                    """
                    INSERT INTO trials (id, sweep_id, spec_json, status, lease_owner, lease_epoch, lease_expires_at, attempts, updated_at)
                    VALUES (@id, @sweep, @spec, @status, @owner, @epoch, @expires, @attempts, @updated)
                    ON CONFLICT (id) DO NOTHING;
                    """, ct,
                    ("id", t.Id), ("sweep", t.SweepId), ("spec", t.SpecJson), ("status", t.Status.ToString()), ("owner", t.LeaseOwner),
                    ("epoch", t.LeaseEpoch), ("expires", t.LeaseExpiresAt?.UtcTicks), ("attempts", t.Attempts),
                    ("updated", t.UpdatedAt.UtcTicks)).ConfigureAwait(false);
            }
            if (added > 0) await NotifyWorkAsync(conn, tx, ct).ConfigureAwait(false);
            return added;
        }, ct);
    }

    public Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<SweepRecord>>(async conn =>
            await QueryAsync(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps ORDER BY ord;", ReadSweep, ct), ct);

    public Task<SweepRecord?> GetSweepAsync(string sweepId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT id, name, spec_yaml, created_at FROM sweeps WHERE id = @id;", ReadSweep, ct,
            ("id", sweepId)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(string sweepId, CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<TrialRecord>>(async conn =>
            await QueryAsync(conn, $"SELECT {TrialColumns} FROM trials WHERE sweep_id = @s ORDER BY ord;", ReadTrial, ct, ("s", sweepId)), ct);

    public Task<TrialRecord?> GetTrialAsync(string trialId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, $"SELECT {TrialColumns} FROM trials WHERE id = @id;", ReadTrial, ct,
            ("id", trialId)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task<TrialLease?> TryClaimTrialAsync(string sweepId, string owner, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        RequirePositive(leaseDuration);
        var expires = now + leaseDuration;
        return ConnectedAsync(async conn =>
        {
            var claimed = await QueryAsync(conn,
                """
                UPDATE trials SET status = 'Running', lease_owner = @owner, lease_epoch = lease_epoch + 1,
                    lease_expires_at = @expires, attempts = attempts + 1, updated_at = @now
                WHERE id = (
                    SELECT id FROM trials
                    WHERE sweep_id = @s AND (status = 'Pending' OR (status = 'Running' AND lease_expires_at < @now))
                    ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, lease_epoch, attempts;
                """,
                r => new TrialLease(r.GetString(0), sweepId, owner, r.GetInt64(1), expires.ToUniversalTime(), r.GetInt32(2)), ct,
                ("owner", owner), ("expires", expires.UtcTicks), ("now", now.UtcTicks), ("s", sweepId)).ConfigureAwait(false);
            return claimed.SingleOrDefault();
        }, ct);
    }

    public Task<bool> RenewLeaseAsync(TrialLease lease, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        RequirePositive(leaseDuration);
        return UpdateOneAsync(
            "UPDATE trials SET lease_expires_at = @expires, updated_at = @now WHERE id = @id AND lease_epoch = @epoch AND status = 'Running';",
            ct, ("expires", (now + leaseDuration).UtcTicks), ("now", now.UtcTicks), ("id", lease.TrialId), ("epoch", lease.Epoch));
    }

    public Task<bool> FinishTrialAsync(TrialLease lease, TrialStatus status, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        StoreChecks.FinalStatus(status);
        return UpdateOneAsync(
            """
            UPDATE trials SET status = @status, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
            WHERE id = @id AND lease_epoch = @epoch AND status = 'Running';
            """,
            ct, ("status", status.ToString()), ("now", now.UtcTicks), ("id", lease.TrialId), ("epoch", lease.Epoch));
    }

    public Task<bool> ReleaseTrialAsync(TrialLease lease, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return WriteAsync(async (conn, tx) =>
        {
            var released = await ExecAsync(conn, tx,
                """
                UPDATE trials SET status = 'Pending', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
                WHERE id = @id AND lease_epoch = @epoch AND status = 'Running';
                """, ct, ("now", now.UtcTicks), ("id", lease.TrialId), ("epoch", lease.Epoch)).ConfigureAwait(false) == 1;
            if (released) await NotifyWorkAsync(conn, tx, ct).ConfigureAwait(false);
            return released;
        }, ct);
    }

    public Task<bool> ExpireLeaseAsync(string trialId, string owner, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(trialId);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return UpdateOneAsync(
            """
            UPDATE trials SET lease_expires_at = @expired, updated_at = @now
            WHERE id = @id AND lease_owner = @owner AND status = 'Running';
            """,
            ct, ("expired", now.AddSeconds(-1).UtcTicks), ("now", now.UtcTicks), ("id", trialId), ("owner", owner));
    }

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
        await _unpooled.DisposeAsync().ConfigureAwait(false);
    }

    private const string TrialColumns = StoreRows.TrialColumns;

    private static DateTimeOffset TimeAt(System.Data.Common.DbDataReader r, int i) => Time(r.GetInt64(i));
    private static SweepRecord ReadSweep(NpgsqlDataReader r) => StoreRows.Sweep(r, TimeAt);
    private static TrialRecord ReadTrial(NpgsqlDataReader r) => StoreRows.Trial(r, TimeAt);

    internal static DateTimeOffset Time(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static void RequirePositive(TimeSpan leaseDuration) => StoreChecks.LeaseDuration(leaseDuration);
}
