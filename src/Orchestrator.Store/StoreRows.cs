using System.Data.Common;

namespace Orchestrator.Store;

/// <summary>Rows to records, the same for both stores; only how a time is stored differs (<paramref name="time"/>).</summary>
internal static class StoreRows
{
    public const string TrialColumns = "id, sweep_id, spec_json, status, lease_owner, lease_epoch, lease_expires_at, attempts, updated_at";
    public const string NodeColumns = "id, host, pid, roles, slots, busy, started_at, last_heartbeat, status, draining";

    public static SweepRecord Sweep(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) =>
        new(r.GetString(0), r.GetString(1), r.GetString(2), time(r, 3));

    public static TrialRecord Trial(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new(
        r.GetString(0),
        r.GetString(1),
        r.GetString(2),
        Enum.Parse<TrialStatus>(r.GetString(3)),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetInt64(5),
        r.IsDBNull(6) ? null : time(r, 6),
        r.GetInt32(7),
        time(r, 8));

    public static NodeRecord Node(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetInt32(4), r.GetInt32(5),
        time(r, 6), time(r, 7), Enum.Parse<NodeStatus>(r.GetString(8)), r.GetBoolean(9));
}
