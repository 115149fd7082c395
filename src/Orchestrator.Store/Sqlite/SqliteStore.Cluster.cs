using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Orchestrator.Store.Sqlite;

/// <summary>Cluster operations on one SQLite file: a laptop "cluster" of processes sharing it. The coordinator
/// singleton is an exclusive lock on a file next to the database.</summary>
public sealed partial class SqliteStore
{
    public Task<TrialLease?> TryClaimAnyTrialAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        RequirePositive(leaseDuration);
        var nowText = FormatTime(now);
        return WriteAsync((conn, tx) =>
        {
            var candidate = Query(conn,
                """
                SELECT t.id, t.sweep_id FROM trials t JOIN sweeps s ON s.id = t.sweep_id
                WHERE (t.status = 'Pending' OR (t.status = 'Running' AND t.lease_expires_at < $now))
                  AND NOT EXISTS (SELECT 1 FROM sweep_controls c WHERE c.sweep_id = t.sweep_id AND c.cancelled = 1)
                ORDER BY s.rowid, t.rowid LIMIT 1;
                """,
                r => (Id: r.GetString(0), Sweep: r.GetString(1)), tx, ("$now", nowText)).SingleOrDefault();
            return candidate.Id is null ? null : ClaimRow(conn, tx, candidate.Id, candidate.Sweep, owner, now, leaseDuration);
        }, ct);
    }

    public Task<bool> SetSweepCancelledAsync(string sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync((conn, tx) =>
        {
            if (Scalar(conn, tx, "SELECT 1 FROM sweeps WHERE id = $s;", ("$s", sweepId)) is null) return false;
            Exec(conn, tx,
                """
                INSERT INTO sweep_controls (sweep_id, cancelled, updated_at) VALUES ($s, $c, $now)
                ON CONFLICT (sweep_id) DO UPDATE SET cancelled = excluded.cancelled, updated_at = excluded.updated_at;
                """, ("$s", sweepId), ("$c", cancelled ? 1 : 0), ("$now", FormatTime(now)));
            Exec(conn, tx, "UPDATE trials SET status = $to, updated_at = $now WHERE sweep_id = $s AND status = $from;",
                ("$to", cancelled ? "Cancelled" : "Pending"), ("$from", cancelled ? "Pending" : "Cancelled"), ("$now", FormatTime(now)), ("$s", sweepId));
            return true;
        }, ct);

    public Task<bool> IsSweepCancelledAsync(string sweepId, CancellationToken ct = default) =>
        ReadAsync(conn => Query(conn, "SELECT cancelled FROM sweep_controls WHERE sweep_id = $s;", r => r.GetInt64(0) == 1, ("$s", sweepId))
            .SingleOrDefault(), ct);

    public Task RegisterNodeAsync(NodeRecord node, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return WriteAsync((conn, tx) => Exec(conn, tx,
            """
            INSERT OR REPLACE INTO nodes (id, host, pid, roles, slots, busy, started_at, last_heartbeat, status, draining)
            VALUES ($id, $host, $pid, $roles, $slots, $busy, $started, $beat, 'Up', 0);
            """,
            ("$id", node.Id), ("$host", node.Host), ("$pid", node.Pid), ("$roles", node.Roles), ("$slots", node.Slots), ("$busy", node.Busy),
            ("$started", FormatTime(node.StartedAt)), ("$beat", FormatTime(node.LastHeartbeat))), ct);
    }

    public Task<NodeRecord?> HeartbeatAsync(string nodeId, int busy, DateTimeOffset now, CancellationToken ct = default) =>
        WriteAsync((conn, tx) =>
        {
            Exec(conn, tx, "UPDATE nodes SET last_heartbeat = $now, busy = $busy, status = 'Up' WHERE id = $id;",
                ("$now", FormatTime(now)), ("$busy", busy), ("$id", nodeId));
            return Query(conn, $"SELECT {NodeColumns} FROM nodes WHERE id = $id;", ReadNode, tx, ("$id", nodeId)).SingleOrDefault();
        }, ct);

    public Task<IReadOnlyList<NodeRecord>> ListNodesAsync(CancellationToken ct = default) =>
        ReadAsync<IReadOnlyList<NodeRecord>>(conn => Query(conn, $"SELECT {NodeColumns} FROM nodes ORDER BY started_at, id;", ReadNode), ct);

    public Task<bool> SetNodeStatusAsync(string nodeId, NodeStatus status, CancellationToken ct = default) =>
        WriteAsync((conn, tx) => Exec(conn, tx, "UPDATE nodes SET status = $s WHERE id = $id;", ("$s", status.ToString()), ("$id", nodeId)) == 1, ct);

    public Task<bool> SetDrainingAsync(string nodeId, bool draining, CancellationToken ct = default) =>
        WriteAsync((conn, tx) => Exec(conn, tx, "UPDATE nodes SET draining = $d WHERE id = $id;", ("$d", draining ? 1 : 0), ("$id", nodeId)) == 1, ct);

    public Task<int> ExpireLeasesOfNodeAsync(string nodeId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(nodeId);
        return WriteAsync((conn, tx) => Exec(conn, tx,
            """
            UPDATE trials SET lease_expires_at = $expired, updated_at = $now
            WHERE status = 'Running' AND substr(lease_owner, 1, length($prefix)) = $prefix;
            """,
            ("$expired", FormatTime(now.AddSeconds(-1))), ("$now", FormatTime(now)), ("$prefix", nodeId + "/")), ct);
    }

    public Task<ILeadership?> TryAcquireLeadershipAsync(CancellationToken ct = default)
    {
        try
        {
            // .NET locks the file exclusively (flock) for FileShare.None: other processes, and other opens in this one, fail.
            var file = new FileStream(Path + ".coordinator.lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return Task.FromResult<ILeadership?>(new FileLeadership(file));
        }
        catch (IOException)
        {
            return Task.FromResult<ILeadership?>(null);
        }
    }

    public Task<LeaderRecord> RecordLeaderAsync(string nodeId, string host, int pid, DateTimeOffset since, CancellationToken ct = default) =>
        WriteAsync((conn, tx) =>
        {
            var term = Convert.ToInt64(Scalar(conn, tx, "SELECT COALESCE(MAX(term), 0) FROM leader;"), CultureInfo.InvariantCulture) + 1;
            Exec(conn, tx, "INSERT OR REPLACE INTO leader (id, node_id, host, pid, since, term) VALUES (1, $n, $h, $p, $s, $t);",
                ("$n", nodeId), ("$h", host), ("$p", pid), ("$s", FormatTime(since)), ("$t", term));
            return new LeaderRecord(nodeId, host, pid, since.ToUniversalTime(), term);
        }, ct);

    public Task<LeaderRecord?> GetLeaderAsync(CancellationToken ct = default) =>
        ReadAsync(conn => Query(conn, "SELECT node_id, host, pid, since, term FROM leader WHERE id = 1;",
            r => new LeaderRecord(r.GetString(0), r.GetString(1), r.GetInt32(2), ParseTime(r.GetString(3)), r.GetInt64(4))).SingleOrDefault(), ct);

    private static TrialLease ClaimRow(SqliteConnection conn, SqliteTransaction tx, string trialId, string sweepId, string owner,
        DateTimeOffset now, TimeSpan leaseDuration)
    {
        var (epoch, attempts) = Query(conn, "SELECT lease_epoch, attempts FROM trials WHERE id = $id;", r => (r.GetInt64(0) + 1, r.GetInt32(1) + 1), tx,
            ("$id", trialId)).Single();
        var expires = now + leaseDuration;
        Exec(conn, tx,
            """
            UPDATE trials SET status = 'Running', lease_owner = $owner, lease_epoch = $epoch,
                lease_expires_at = $expires, attempts = $attempts, updated_at = $now
            WHERE id = $id;
            """,
            ("$owner", owner), ("$epoch", epoch), ("$expires", FormatTime(expires)), ("$attempts", attempts),
            ("$now", FormatTime(now)), ("$id", trialId));
        return new TrialLease(trialId, sweepId, owner, epoch, expires.ToUniversalTime(), attempts);
    }

    private const string NodeColumns = StoreRows.NodeColumns;

    private static NodeRecord ReadNode(SqliteDataReader r) => StoreRows.Node(r, TimeAt);

    private sealed class FileLeadership(FileStream file) : ILeadership
    {
        public Task<bool> StillHeldAsync(CancellationToken ct = default) => Task.FromResult(file.CanWrite);

        public ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
