namespace Orchestrator.Store;

/// <summary>How the cluster sees a node. Up/Unreachable/Down follow its heartbeat's age; Left is a clean exit.</summary>
public enum NodeStatus { Up, Unreachable, Down, Left }

/// <summary>A node row: one worker or coordinator process. <c>Roles</c> is a comma-separated list
/// (worker, coordinator); <c>Busy</c> is how many of its slots run a trial, as of its last heartbeat.</summary>
public sealed record NodeRecord(
    string Id,
    string Host,
    int Pid,
    string Roles,
    int Slots,
    int Busy,
    DateTimeOffset StartedAt,
    DateTimeOffset LastHeartbeat,
    NodeStatus Status,
    bool Draining);

/// <summary>The coordinator that holds the singleton lock, as it recorded itself when it took over.
/// <c>Term</c> counts the takeovers.</summary>
public sealed record LeaderRecord(string NodeId, string Host, int Pid, DateTimeOffset Since, long Term);

/// <summary>The coordinator singleton, held until disposed (or until the process or its connection dies).</summary>
public interface ILeadership : IAsyncDisposable
{
    /// <summary>False once the lock is known lost (its connection broke): the holder must stop acting as coordinator.</summary>
    Task<bool> StillHeldAsync(CancellationToken ct = default);
}
