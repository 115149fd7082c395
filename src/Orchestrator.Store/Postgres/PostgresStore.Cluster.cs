using Npgsql;

namespace Orchestrator.Store.Postgres;

/// <summary>Cluster operations: claims across sweeps, cancellation, node rows, and the coordinator singleton as a
/// session-level advisory lock on a connection of its own (released by the server when that connection dies).</summary>
public sealed partial class PostgresStore
{
    public Task<TrialLease?> TryClaimAnyTrialAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        RequirePositive(leaseDuration);
        var expires = now + leaseDuration;
        return ConnectedAsync(async conn => (await QueryAsync(conn,
            """
            UPDATE trials SET status = 'Running', lease_owner = @owner, lease_epoch = lease_epoch + 1,
                lease_expires_at = @expires, attempts = attempts + 1, updated_at = @now
            WHERE id = (
                SELECT t.id FROM trials t JOIN sweeps s ON s.id = t.sweep_id
                WHERE (t.status = 'Pending' OR (t.status = 'Running' AND t.lease_expires_at < @now))
                  AND NOT EXISTS (SELECT 1 FROM sweep_controls c WHERE c.sweep_id = t.sweep_id AND c.cancelled)
                ORDER BY s.ord, t.ord LIMIT 1 FOR UPDATE OF t SKIP LOCKED)
            RETURNING id, sweep_id, lease_epoch, attempts;
            """,
            r => new TrialLease(r.GetString(0), r.GetString(1), owner, r.GetInt64(2), expires.ToUniversalTime(), r.GetInt32(3)), ct,
            ("owner", owner), ("expires", expires.UtcTicks), ("now", now.UtcTicks)).ConfigureAwait(false)).SingleOrDefault(), ct);
    }

    public Task<bool> SetSweepCancelledAsync(string sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync(async (conn, tx) =>
        {
            if (await ScalarAsync(conn, tx, "SELECT 1 FROM sweeps WHERE id = @s;", ct, ("s", sweepId)).ConfigureAwait(false) is null) return false;
            await ExecAsync(conn, tx,
                """
                INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES (@s, @c, @now)
                ON CONFLICT (sweep_id) DO UPDATE SET cancelled = excluded.cancelled, updated_at = excluded.updated_at;
                """, ct, ("s", sweepId), ("c", cancelled), ("now", now.UtcTicks)).ConfigureAwait(false);
            await ExecAsync(conn, tx, "UPDATE trials SET status = @to, updated_at = @now WHERE sweep_id = @s AND status = @from;", ct,
                ("to", cancelled ? "Cancelled" : "Pending"), ("from", cancelled ? "Pending" : "Cancelled"), ("now", now.UtcTicks), ("s", sweepId))
                .ConfigureAwait(false);
            if (!cancelled) await NotifyWorkAsync(conn, tx, ct).ConfigureAwait(false);
            return true;
        }, ct);

    public Task<bool> IsSweepCancelledAsync(string sweepId, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT cancelled FROM sweep_controls WHERE sweep_id = @s;", r => r.GetBoolean(0), ct,
            ("s", sweepId)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task RegisterNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return ConnectedAsync(async conn => await ExecAsync(conn, null,
            """
            INSERT INTO nodes (id, host, pid, roles, slots, busy, started_at, last_heartbeat, status, draining)
            VALUES (@id, @host, @pid, @roles, @slots, @busy, @started, @beat, 'Up', FALSE)
            ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, roles = excluded.roles, slots = excluded.slots,
                busy = excluded.busy, started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat, status = 'Up', draining = FALSE;
            """, ct,
            ("id", node.Id), ("host", node.Host), ("pid", node.Pid), ("roles", node.Roles), ("slots", node.Slots), ("busy", node.Busy),
            ("started", node.StartedAt.UtcTicks), ("beat", node.LastHeartbeat.UtcTicks)).ConfigureAwait(false), ct);
    }

    public Task<NodeRecord?> HeartbeatAsync(string nodeId, int busy, DateTimeOffset now, CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn,
            $"UPDATE nodes SET last_heartbeat = @now, busy = @busy, status = 'Up' WHERE id = @id RETURNING {NodeColumns};",
            ReadNode, ct, ("now", now.UtcTicks), ("busy", busy), ("id", nodeId)).ConfigureAwait(false)).SingleOrDefault(), ct);

    public Task<IReadOnlyList<NodeRecord>> ListNodesAsync(CancellationToken ct = default) =>
        ConnectedAsync<IReadOnlyList<NodeRecord>>(async conn =>
            await QueryAsync(conn, $"SELECT {NodeColumns} FROM nodes ORDER BY started_at, id;", ReadNode, ct).ConfigureAwait(false), ct);

    public Task<bool> SetNodeStatusAsync(string nodeId, NodeStatus status, CancellationToken ct = default) =>
        UpdateOneAsync("UPDATE nodes SET status = @s WHERE id = @id;", ct, ("s", status.ToString()), ("id", nodeId));

    public Task<bool> SetDrainingAsync(string nodeId, bool draining, CancellationToken ct = default) =>
        UpdateOneAsync("UPDATE nodes SET draining = @d WHERE id = @id;", ct, ("d", draining), ("id", nodeId));

    public Task<int> ExpireLeasesOfNodeAsync(string nodeId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        return WriteAsync(async (conn, tx) =>
        {
            var expired = await ExecAsync(conn, tx,
                """
                UPDATE trials SET lease_expires_at = @expired, updated_at = @now
                WHERE status = 'Running' AND left(lease_owner, length(@prefix)) = @prefix;
                """, ct, ("expired", now.AddSeconds(-1).UtcTicks), ("now", now.UtcTicks), ("prefix", nodeId + "/")).ConfigureAwait(false);
            if (expired > 0) await NotifyWorkAsync(conn, tx, ct).ConfigureAwait(false);
            return expired;
        }, ct);
    }

    public async Task<ILeadership?> TryAcquireLeadershipAsync(CancellationToken ct = default)
    {
        // Not from the pool: the lock lives as long as this one session, and must never go back to a pool with it.
        var conn = _unpooled.CreateConnection();
        try
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@k);", conn);
            cmd.Parameters.AddWithValue("k", PostgresSchema.LeaderLock);
            if ((bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!) return new LockLeadership(conn);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        await conn.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    public Task<LeaderRecord> RecordLeaderAsync(string nodeId, string host, int pid, DateTimeOffset since, CancellationToken ct = default) =>
        WriteAsync(async (conn, tx) =>
        {
            var term = (long)(await ScalarAsync(conn, tx,
                """
                INSERT INTO leader (id, node_id, host, pid, since, term) VALUES (1, @n, @h, @p, @s, 1)
                ON CONFLICT (id) DO UPDATE SET node_id = excluded.node_id, host = excluded.host, pid = excluded.pid,
                    since = excluded.since, term = leader.term + 1
                RETURNING term;
                """, ct, ("n", nodeId), ("h", host), ("p", pid), ("s", since.UtcTicks)).ConfigureAwait(false))!;
            return new LeaderRecord(nodeId, host, pid, since.ToUniversalTime(), term);
        }, ct);

    public Task<LeaderRecord?> GetLeaderAsync(CancellationToken ct = default) =>
        ConnectedAsync(async conn => (await QueryAsync(conn, "SELECT node_id, host, pid, since, term FROM leader WHERE id = 1;",
            r => new LeaderRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), Time(r.GetInt64(3)), r.GetInt64(4)), ct).ConfigureAwait(false))
            .SingleOrDefault(), ct);

    private const string NodeColumns = StoreRows.NodeColumns;

    private static NodeRecord ReadNode(NpgsqlDataReader r) => StoreRows.Node(r, TimeAt);

    private sealed class LockLeadership(NpgsqlConnection conn) : ILeadership
    {
        public async Task<bool> StillHeldAsync(CancellationToken ct = default)
        {
            try
            {
                await using var cmd = new NpgsqlCommand("SELECT 1;", conn);
                await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException)
            {
                return false;
            }
        }

        public ValueTask DisposeAsync() => conn.DisposeAsync();
    }
}
