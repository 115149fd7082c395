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
/// <c>FOR UPDATE SKIP LOCKED</c>; appends lock the trial row (so a claim cannot slip between the lease check
/// and the commit) and a transaction-level advisory lock, so global positions become visible in order.
/// Operations are retried with backoff while the server is unreachable (a restart, a network cut).
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

    public async Task<long> AppendAsync(string trialId, long expectedSeq, long leaseEpoch, IReadOnlyList<EventData> events, DateTimeOffset now,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(trialId);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedSeq);
        if (events.Count == 0) throw new ArgumentException("nothing to append", nameof(events));
        foreach (var e in events)
        {
            ArgumentNullException.ThrowIfNull(e.Type);
            ArgumentNullException.ThrowIfNull(e.Payload);
        }

        var attempt = 0;
        return await ConnectedAsync(async conn =>
        {
            attempt++;
            // One round trip: a batch without an explicit transaction runs as one implicit transaction. It locks the
            // trial row (claims wait for this commit), takes the append lock (global positions become visible in
            // order), reads the lease epoch and last sequence, and inserts only if both are as expected.
            await using var batch = new NpgsqlBatch(conn)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand("SELECT lease_epoch FROM trials WHERE id = @id FOR UPDATE;") { Parameters = { new("id", trialId) } },
                    new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock(@k);") { Parameters = { new("k", PostgresSchema.AppendLock) } },
                    new NpgsqlBatchCommand("SELECT COALESCE(MAX(seq), 0) FROM events WHERE stream_id = @id;") { Parameters = { new("id", trialId) } },
                    new NpgsqlBatchCommand(
                        """
                        INSERT INTO events (stream_id, seq, type, payload, lease_epoch, recorded_at)
                        SELECT @id, @expected + e.n, e.type, e.payload, @epoch, @at
                        FROM unnest(@types::text[], @payloads::text[]) WITH ORDINALITY AS e(type, payload, n)
                        WHERE (SELECT lease_epoch FROM trials WHERE id = @id) = @epoch
                          AND (SELECT COALESCE(MAX(seq), 0) FROM events WHERE stream_id = @id) = @expected
                        ORDER BY e.n;
                        """)
                    {
                        Parameters =
                        {
                            new("id", trialId), new("expected", expectedSeq), new("epoch", leaseEpoch), new("at", now.UtcTicks),
                            new("types", events.Select(e => e.Type).ToArray()), new("payloads", events.Select(e => e.Payload).ToArray()),
                        },
                    },
                },
            };
            long? epoch = null;
            long last;
            try
            {
                await using var r = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false);
                if (await r.ReadAsync(ct).ConfigureAwait(false)) epoch = r.GetInt64(0);
                await r.NextResultAsync(ct).ConfigureAwait(false);
                await r.NextResultAsync(ct).ConfigureAwait(false);
                await r.ReadAsync(ct).ConfigureAwait(false);
                last = r.GetInt64(0);
                while (await r.NextResultAsync(ct).ConfigureAwait(false)) { }
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                throw new ConcurrencyException(trialId, expectedSeq, -1);
            }
            if (epoch is null) throw new InvalidOperationException($"stream {trialId}: no such trial");
            if (epoch != leaseEpoch) throw new StaleLeaseException(trialId, leaseEpoch, epoch.Value);
            if (last != expectedSeq)
            {
                // A retry after a connection lost during the commit: the first try may have committed these very events.
                if (attempt > 1 && last == expectedSeq + events.Count && await AlreadyAppendedAsync(conn, trialId, expectedSeq, leaseEpoch, events, ct)
                        .ConfigureAwait(false))
                    return last;
                throw new ConcurrencyException(trialId, expectedSeq, last);
            }
            if (batch.BatchCommands[3].RecordsAffected != events.Count)
                throw new InvalidOperationException($"stream {trialId}: {batch.BatchCommands[3].RecordsAffected} of {events.Count} events inserted");
            return expectedSeq + events.Count;
        }, ct).ConfigureAwait(false);
    }

    private static async Task<bool> AlreadyAppendedAsync(NpgsqlConnection conn, string trialId, long expectedSeq, long leaseEpoch,
        IReadOnlyList<EventData> events, CancellationToken ct)
    {
        var stored = await QueryAsync(conn,
            "SELECT type, payload, lease_epoch FROM events WHERE stream_id = @id AND seq > @after ORDER BY seq;",
            r => (Type: r.GetString(0), Payload: r.GetString(1), Epoch: r.GetInt64(2)), ct, ("id", trialId), ("after", expectedSeq)).ConfigureAwait(false);
        return stored.Count == events.Count
               && stored.Zip(events).All(p => p.First.Epoch == leaseEpoch && p.First.Type == p.Second.Type && p.First.Payload == p.Second.Payload);
    }

    public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string trialId, CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<StoredEvent>>(async conn =>
            await QueryAsync(conn, $"SELECT {EventColumns} FROM events WHERE stream_id = @id ORDER BY seq;", ReadEvent, ct, ("id", trialId)), ct);

    public Task<IReadOnlyList<StoredEvent>> ReadAllAsync(long afterPosition, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return ConnectedAsync<IReadOnlyList<StoredEvent>>(async conn =>
            await QueryAsync(conn, $"SELECT {EventColumns} FROM events WHERE position > @after ORDER BY position LIMIT @limit;", ReadEvent, ct,
                ("after", afterPosition), ("limit", limit)), ct);
    }

    public Task<IReadOnlyDictionary<string, long>> LastSequencesAsync(string sweepId, CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyDictionary<string, long>>(async conn =>
            (await QueryAsync(conn,
                """
                SELECT t.id, (SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.stream_id = t.id)
                FROM trials t WHERE t.sweep_id = @s ORDER BY t.ord;
                """,
                r => KeyValuePair.Create(r.GetString(0), r.GetInt64(1)), ct, ("s", sweepId)).ConfigureAwait(false))
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), ct);

    public async ValueTask DisposeAsync()
    {
        await StopListeningAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
        await _unpooled.DisposeAsync().ConfigureAwait(false);
    }

    private const string TrialColumns = StoreRows.TrialColumns;
    private const string EventColumns = StoreRows.EventColumns;

    private static DateTimeOffset TimeAt(System.Data.Common.DbDataReader r, int i) => Time(r.GetInt64(i));
    private static SweepRecord ReadSweep(NpgsqlDataReader r) => StoreRows.Sweep(r, TimeAt);
    private static TrialRecord ReadTrial(NpgsqlDataReader r) => StoreRows.Trial(r, TimeAt);
    private static StoredEvent ReadEvent(NpgsqlDataReader r) => StoreRows.Event(r, TimeAt);

    internal static DateTimeOffset Time(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static void RequirePositive(TimeSpan leaseDuration) => StoreChecks.LeaseDuration(leaseDuration);
}
