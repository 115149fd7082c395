namespace Orchestrator.Store;

public enum TrialStatus { Pending, Running, Completed, Failed, Cancelled }

public sealed record SweepRecord(string Id, string Name, string SpecYaml, DateTimeOffset CreatedAt);

/// <summary>A trial row. <c>SpecJson</c> is the canonical TrialSpec JSON its id hashes.</summary>
public sealed record TrialRecord(
    string Id,
    string SweepId,
    string SpecJson,
    TrialStatus Status,
    string? LeaseOwner,
    long LeaseEpoch,
    DateTimeOffset? LeaseExpiresAt,
    int Attempts,
    DateTimeOffset UpdatedAt);

/// <summary>The right to write a trial's stream. <c>Epoch</c> is the fencing token: every claim bumps it.</summary>
public sealed record TrialLease(string TrialId, string SweepId, string Owner, long Epoch, DateTimeOffset ExpiresAt, int Attempts);

/// <summary>
/// The one store contract: sweeps, and trials with leases (trial journals live in Akka.Persistence's journal). SQLite now, PostgreSQL later; both must pass
/// the same conformance suite. All times are passed in by the caller (no hidden clock).
/// </summary>
public interface IOrchestratorStore : IAsyncDisposable
{
    /// <summary>Creates the schema if absent. Safe when several processes do it at once.</summary>
    Task MigrateAsync(CancellationToken ct = default);

    /// <summary>Inserts the sweep and those trials whose id is not stored yet; returns how many trials were new.</summary>
    Task<int> RegisterSweepAsync(SweepRecord sweep, IReadOnlyList<TrialRecord> trials, CancellationToken ct = default);

    Task<IReadOnlyList<SweepRecord>> ListSweepsAsync(CancellationToken ct = default);
    Task<SweepRecord?> GetSweepAsync(string sweepId, CancellationToken ct = default);
    Task<IReadOnlyList<TrialRecord>> ListTrialsAsync(string sweepId, CancellationToken ct = default);
    Task<TrialRecord?> GetTrialAsync(string trialId, CancellationToken ct = default);

    /// <summary>Atomically claims one trial of the sweep that is Pending, or Running with an expired lease:
    /// sets owner and expiry, bumps the lease epoch and the attempt count. Null when none is claimable.</summary>
    Task<TrialLease?> TryClaimTrialAsync(string sweepId, string owner, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default);

    /// <summary>Extends the lease; false (and nothing changed) when the lease epoch is no longer current.</summary>
    Task<bool> RenewLeaseAsync(TrialLease lease, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default);

    /// <summary>Sets the trial's final status and clears the lease, only if the lease epoch is still current.</summary>
    Task<bool> FinishTrialAsync(TrialLease lease, TrialStatus status, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Gives the trial back (Pending, lease cleared) without counting it finished, if the epoch is current.</summary>
    Task<bool> ReleaseTrialAsync(TrialLease lease, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Ends the lease of a Running trial held by <paramref name="owner"/> now, so the next claim takes
    /// it over (used when that owner is known to be dead). False when the trial is not held by that owner.</summary>
    Task<bool> ExpireLeaseAsync(string trialId, string owner, DateTimeOffset now, CancellationToken ct = default);

    // ---- cluster: work across sweeps, cancellation, membership, the coordinator singleton ----

    /// <summary>Like <see cref="TryClaimTrialAsync"/> over every sweep that is not cancelled, oldest sweep first.</summary>
    Task<TrialLease?> TryClaimAnyTrialAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, CancellationToken ct = default);

    /// <summary>Cancels a sweep (its Pending trials become Cancelled; running ones see <see cref="IsSweepCancelledAsync"/>
    /// and stop at their next epoch boundary) or, with false, resumes it (its Cancelled trials become Pending again).
    /// Journals are never touched. False when there is no such sweep.</summary>
    Task<bool> SetSweepCancelledAsync(string sweepId, bool cancelled, DateTimeOffset now, CancellationToken ct = default);

    Task<bool> IsSweepCancelledAsync(string sweepId, CancellationToken ct = default);

    /// <summary>Inserts or replaces a node row (status Up, not draining).</summary>
    Task RegisterNodeAsync(NodeRecord node, CancellationToken ct = default);

    /// <summary>Records a heartbeat: last heartbeat and busy slots, status back to Up. Returns the row (the node learns
    /// it is draining from it), or null when the node is unknown.</summary>
    Task<NodeRecord?> HeartbeatAsync(string nodeId, int busy, DateTimeOffset now, CancellationToken ct = default);

    Task<IReadOnlyList<NodeRecord>> ListNodesAsync(CancellationToken ct = default);

    /// <summary>Sets a node's status (the coordinator's verdict, or Left on a clean exit); false for an unknown node.</summary>
    Task<bool> SetNodeStatusAsync(string nodeId, NodeStatus status, CancellationToken ct = default);

    /// <summary>Draining: the node finishes its running trials and claims no new one. False for an unknown node.</summary>
    Task<bool> SetDrainingAsync(string nodeId, bool draining, CancellationToken ct = default);

    /// <summary>Ends now every running lease held by a slot of the node (owner <c>NODE_ID/slot</c>); returns how many.</summary>
    Task<int> ExpireLeasesOfNodeAsync(string nodeId, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Takes the coordinator singleton if free; null when another process holds it.</summary>
    Task<ILeadership?> TryAcquireLeadershipAsync(CancellationToken ct = default);

    /// <summary>Records who leads now (called by the holder of the singleton); the term is one more than the last.</summary>
    Task<LeaderRecord> RecordLeaderAsync(string nodeId, string host, int pid, DateTimeOffset since, CancellationToken ct = default);

    Task<LeaderRecord?> GetLeaderAsync(CancellationToken ct = default);
}
