using Orchestrator.Store;

namespace Orchestrator.Runtime.Membership;

/// <summary>When a node that stopped heartbeating counts as unreachable, then down. A down node's leases are
/// expired so other slots take its trials over; the heartbeat interval should be well below both.</summary>
public sealed record MembershipThresholds(TimeSpan UnreachableAfter, TimeSpan DownAfter)
{
    public static MembershipThresholds Default { get; } = new(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));

    /// <exception cref="ArgumentException">Not 0 &lt; unreachable &lt;= down.</exception>
    public MembershipThresholds Validated()
    {
        if (UnreachableAfter <= TimeSpan.Zero || DownAfter < UnreachableAfter)
            throw new ArgumentException($"membership thresholds: need 0 < unreachable-after ({UnreachableAfter.TotalSeconds}s) <= down-after ({DownAfter.TotalSeconds}s)");
        return this;
    }
}

/// <summary>Pure: a node's status from the age of its last heartbeat. A node that left cleanly stays Left.</summary>
public static class MembershipPolicy
{
    public static NodeStatus Classify(NodeRecord node, DateTimeOffset now, MembershipThresholds thresholds)
    {
        if (node.Status == NodeStatus.Left) return NodeStatus.Left;
        var age = now - node.LastHeartbeat;
        return age >= thresholds.DownAfter ? NodeStatus.Down
            : age >= thresholds.UnreachableAfter ? NodeStatus.Unreachable
            : NodeStatus.Up;
    }
}
