using System.Data.Common;
using Orchestrator.Domain.Specs;
using Orchestrator.Domain.Trials;

namespace Orchestrator.Catalogue;

/// <summary>Rows to records, the same for both stores; only how a time is stored differs (<paramref name="time"/>).</summary>
internal static class StoreRows
{
    public const string TrialColumns = "id, sweep_id, spec_json, status, assigned_to, attempts, updated_at";

    public static SweepRecord Sweep(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) =>
        new(new SweepId(r.GetString(0)), r.GetString(1), r.GetString(2), time(r, 3));

    public static TrialRecord Trial(DbDataReader r, Func<DbDataReader, int, DateTimeOffset> time) => new(
        new TrialId(r.GetString(0)),
        new SweepId(r.GetString(1)),
        r.GetString(2),
        Enum.Parse<TrialStatus>(r.GetString(3)),
        r.IsDBNull(4) ? null : r.GetString(4),
        r.GetInt32(5),
        time(r, 6));
}
