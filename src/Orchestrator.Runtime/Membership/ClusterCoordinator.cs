using Orchestrator.Runtime.Membership;
using Orchestrator.Store;

namespace Orchestrator.Runtime.Membership;

public sealed record ClusterCoordinatorOptions(MembershipThresholds Thresholds, TimeSpan Tick, TimeSpan HeartbeatInterval);

/// <summary>
/// The cluster's coordinator, a singleton: one process holds the store's coordinator lock; standbys wait and
/// take over when it is released (its holder exited, died, or lost its connection). Its job is small, since
/// workers claim trials themselves: mark nodes unreachable or down from their heartbeats, expire the leases of
/// down nodes so other slots take their trials over, and note sweeps that have ended.
/// </summary>
public sealed class ClusterCoordinator(
    IOrchestratorStore store,
    NodeIdentity node,
    TimeProvider clock,
    ClusterCoordinatorOptions options,
    IRunObserver observer)
{
    private readonly HashSet<string> _endedSweeps = [];
    private readonly Backoff _storeTrouble = new(observer);
    private DateTimeOffset _lastBeat = DateTimeOffset.MinValue;
    private bool _registered;

    public async Task RunAsync(CancellationToken ct)
    {
        var standbyNoted = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                ILeadership? lead;
                try
                {
                    await HeartbeatAsync(ct);
                    lead = await store.TryAcquireLeadershipAsync(ct);
                    _storeTrouble.Recovered();
                }
                catch (Exception ex) when (!ct.IsCancellationRequested)
                {
                    await _storeTrouble.WaitAsync("coordinator", ex, clock, ct);
                    continue;
                }
                if (lead is null)
                {
                    if (!standbyNoted)
                    {
                        var leader = await store.GetLeaderAsync(ct);
                        observer.Note($"standby: the coordinator is {leader?.NodeId ?? "another process"}; taking over if it goes away");
                        standbyNoted = true;
                    }
                    await Task.Delay(options.Tick, clock, ct);
                    continue;
                }
                standbyNoted = false;
                await using (lead)
                    await LeadAsync(lead, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            if (_registered) await LeaveAsync();
        }
    }

    private async Task LeadAsync(ILeadership lead, CancellationToken ct)
    {
        var record = await store.RecordLeaderAsync(node.Id, node.Host, node.Pid, clock.GetUtcNow(), ct);
        observer.Note($"coordinator {node.Id}: leading (term {record.Term})");
        while (!ct.IsCancellationRequested)
        {
            if (!await lead.StillHeldAsync(ct))
            {
                observer.Note($"coordinator {node.Id}: lost the coordinator lock (store connection broke); standing by");
                return;
            }
            try
            {
                await HeartbeatAsync(ct);
                await TickAsync(ct);
                _storeTrouble.Recovered();
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                await _storeTrouble.WaitAsync("coordinator tick", ex, clock, ct);
                continue;
            }
            await Task.Delay(options.Tick, clock, ct);
        }
    }

    /// <summary>One round: membership verdicts, leases of down nodes, ended sweeps.</summary>
    public async Task TickAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var n in await store.ListNodesAsync(ct))
        {
            if (n.Id == node.Id) continue;
            var status = MembershipPolicy.Classify(n, now, options.Thresholds);
            if (status != n.Status)
            {
                await store.SetNodeStatusAsync(n.Id, status, ct);
                observer.Note($"node {n.Id} ({n.Host}): {n.Status} -> {status} (last heartbeat {(now - n.LastHeartbeat).TotalSeconds:F1}s ago)");
            }
            // Every round, not only on the transition: a coordinator that died between the two steps leaves no lease behind.
            if (status == NodeStatus.Down)
            {
                var expired = await store.ExpireLeasesOfNodeAsync(n.Id, now, ct);
                if (expired > 0) observer.Note($"node {n.Id} is down: expired {expired} lease(s); other slots take those trials over from their journals");
            }
        }
        foreach (var sweep in await store.ListSweepsAsync(ct))
        {
            if (_endedSweeps.Contains(sweep.Id)) continue;
            var trials = await store.ListTrialsAsync(sweep.Id, ct);
            if (trials.Count == 0 || trials.Any(t => t.Status is TrialStatus.Pending or TrialStatus.Running)) continue;
            _endedSweeps.Add(sweep.Id);
            var counts = trials.GroupBy(t => t.Status).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
            observer.Note($"sweep {sweep.Name} ({sweep.Id}) has ended: {string.Join(", ", counts)}");
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_registered && now - _lastBeat < options.HeartbeatInterval) return;
        if (!_registered || await store.HeartbeatAsync(node.Id, 0, now, ct) is null)
            await store.RegisterNodeAsync(new NodeRecord(node.Id, node.Host, node.Pid, "coordinator", 0, 0, now, now, NodeStatus.Up, false), ct);
        _registered = true;
        _lastBeat = now;
    }

    private async Task LeaveAsync()
    {
        try
        {
            using var bye = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await store.SetNodeStatusAsync(node.Id, NodeStatus.Left, bye.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A courtesy: without it the node shows as down once its heartbeats stop.
        }
    }
}
